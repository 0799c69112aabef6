//go:build !unix

package synth

import "time"

func processCPU() time.Duration { return 0 }
