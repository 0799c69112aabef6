package chicago311_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/geo311/geo311/data/chicago311"
)

func ExampleReader() {
	export := `SR_NUMBER,SR_TYPE,SR_SHORT_CODE,OWNER_DEPARTMENT,STATUS,ORIGIN,CREATED_DATE,CLOSED_DATE,STREET_ADDRESS,DUPLICATE,PARENT_SR_NUMBER,WARD,POLICE_DISTRICT,POLICE_BEAT,LATITUDE,LONGITUDE
SR23-00012345,Pothole in Street Complaint,PHF,CDOT,Completed,Phone Call,01/03/2023 08:15:22 AM,01/05/2023 02:10:00 PM,1200 W 81ST ST,false,,21,6,622,41.74685764200721,-87.6536401592609
SR23-00012391,Pothole in Street Complaint,PHF,CDOT,Completed,Mobile Device,01/03/2023 09:02:10 AM,01/05/2023 02:10:00 PM,1210 W 81ST ST,true,SR23-00012345,21,6,622,41.7468512,-87.6539122
SR23-00012400,Pothole in Street Complaint,PHF,CDOT,Open,Internet,yesterday,,1300 W 81ST ST,false,,21,6,622,41.7468,-87.6530
`
	rd, err := chicago311.NewReader(strings.NewReader(export))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("schema:", rd.Schema())
	for {
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		var rowErr *chicago311.RowError
		if errors.As(err, &rowErr) {
			fmt.Println("skipped:", rowErr)
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s %s %s %s %s beat=%s duplicate=%v parent=%q\n", r.Number, r.ServiceCode, r.State, r.Origin,
			r.RequestedAt.UTC().Format("2006-01-02 15:04Z"), r.RecordedAreas[0].ID, r.Duplicate, r.ParentNumber)
	}
	// Output:
	// schema: current
	// SR23-00012345 PHF closed phone 2023-01-03 14:15Z beat=0622 duplicate=false parent=""
	// SR23-00012391 PHF closed mobile 2023-01-03 15:02Z beat=0622 duplicate=true parent="SR23-00012345"
	// skipped: line 4: column "CREATED_DATE": missing or unparsable date "yesterday"
}
