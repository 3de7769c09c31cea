package main

import (
	"fmt"
	"io"
	"os"

	"github.com/repolink/repolink/shared/engine"
)

// openConverting opens the engine store at path with engine.Open, which
// converts a store of an older format, and reports a conversion on
// standard error.
func openConverting(path string, opts engine.Options) (*engine.Engine, error) {
	eng, err := engine.Open(path, opts)
	if err != nil {
		return nil, err
	}
	reportConversion(os.Stderr, eng)
	return eng, nil
}

// reportConversion writes to w that Open converted the store of eng to the
// current format, if it did, because older repolink versions then reject
// the store.
func reportConversion(w io.Writer, eng *engine.Engine) {
	from, converted := eng.ConvertedFrom()
	if !converted {
		return
	}
	fmt.Fprintf(w, "repolink: converted engine store %s from format %d to format %d; "+
		"a repolink that reads only format %d can no longer open it\n", eng.Path(), from, engine.StoreFormat, from)
}
