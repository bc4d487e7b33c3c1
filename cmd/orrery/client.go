package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/orrery-dev/orrery/internal/client"
)

// apiFlags are the connection and output flags of every client command.
type apiFlags struct {
	api    string
	output string
}

func (f *apiFlags) add(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.api, "api", "", "API URL (default $PREFECT_API_URL, else http://127.0.0.1:4200/api)")
	cmd.PersistentFlags().StringVarP(&f.output, "output", "o", "table", "output format: table or json")
}

func (f *apiFlags) client() *client.Client {
	url := f.api
	if url == "" {
		url = os.Getenv("PREFECT_API_URL")
	}
	if url == "" {
		url = "http://127.0.0.1:4200/api"
	}
	return client.New(url, os.Getenv("PREFECT_API_KEY"))
}

// print writes v as JSON, or as a table built by table.
func (f *apiFlags) print(w io.Writer, v any, header []string, rows func() [][]string) error {
	switch f.output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(header, "\t"))
		for _, r := range rows() {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		return tw.Flush()
	default:
		return fmt.Errorf("unknown --output %q: use table or json", f.output)
	}
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
