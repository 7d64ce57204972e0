// Command esotemplate renders one External Secrets Operator engine-v2 template with Go's
// real text/template, the way the operator does (runtime/template/v2 execute in
// external-secrets v2.9.0): template named after its key, Option("missingkey=error"),
// delimiters "{{" "}}", data = the ExternalSecret's secret keys as map[string]string.
//
// Of the operator's function map it defines only what fn/externalsecret.py uses:
// b64enc, which the operator's vendored sprig defines as standard, padded base64 of the
// string (runtime/template/v2/sprig/strings.go). printf is text/template's builtin.
// A template calling any other function fails to parse here, so the harness also proves
// the template needs nothing else.
//
// stdin: {"key": ".dockerconfigjson", "template": "...", "data": {"licenseID": "..."}}
// stdout: the rendered bytes, nothing else. Errors go to stderr without the data.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"text/template"
)

type input struct {
	Key      string            `json:"key"`
	Template string            `json:"template"`
	Data     map[string]string `json:"data"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "esotemplate: bad input:", err)
		os.Exit(2)
	}
	funcs := template.FuncMap{
		"b64enc": func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) },
	}
	t, err := template.New(in.Key).Option("missingkey=error").Funcs(funcs).
		Delims("{{", "}}").Parse(in.Template)
	if err != nil {
		fmt.Fprintln(os.Stderr, "esotemplate: parse:", err)
		os.Exit(1)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, in.Data); err != nil {
		fmt.Fprintln(os.Stderr, "esotemplate: execute:", err)
		os.Exit(1)
	}
	os.Stdout.Write(out.Bytes())
}
