package h3_test

import (
	"fmt"

	"github.com/geo311/geo311/data/h3"
)

func Example() {
	c := h3.LatLngToCell(41.8781, -87.6298, 9) // Chicago, State and Madison
	fmt.Println(c, c.Resolution(), c.Parent(7))
	fmt.Println(len(h3.GridDisk(c, 2)))
	back, err := h3.FromString(c.String())
	fmt.Println(back == c, err)
	// Output:
	// 892664c1a8fffff 9 872664c1affffff
	// 19
	// true <nil>
}
