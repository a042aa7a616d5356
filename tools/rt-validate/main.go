// Command rt-validate checks OCI runtime-spec config.json files with the bundle validator of
// opencontainers/runtime-tools (package validate), as Debian ships it in
// golang-github-opencontainers-runtime-tools-dev. It is built in GOPATH mode against
// /usr/share/gocode (tools/rt-validate/build.sh); see README.md beside this file for which
// checks run, which are left out, and why.
//
//	rt-validate [--json] [--config-only] [--schema-dir DIR] PATH...
//
// PATH is a bundle directory (holding config.json) or a config file; for a file, the bundle is
// the directory that holds it. Every PATH is checked, then the tool exits 0 when all are valid,
// 1 when any is not (or cannot be read), 2 on a usage error.
//
// Findings follow `oci-runtime-tool validate` with its default --compliance-level=must: a
// violation the validator ties to an RFC 2119 level below MUST (a SHOULD) is a warning, every
// other finding is an error. The validator's own log warnings (logrus) are warnings too.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	multierror "github.com/hashicorp/go-multierror"
	rspec "github.com/opencontainers/runtime-spec/specs-go"
	rfc2119 "github.com/opencontainers/runtime-tools/error"
	"github.com/opencontainers/runtime-tools/specerror"
	"github.com/opencontainers/runtime-tools/validate"
	"github.com/sirupsen/logrus"
	"github.com/xeipuuv/gojsonschema"
)

// defaultSchemaDir is where golang-github-opencontainers-specs-dev (a dependency of the
// runtime-tools package) installs the runtime-spec JSON Schema matching its Go types.
const defaultSchemaDir = "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema"

// Finding is one error or warning.
type Finding struct {
	// Check is the check that reported it: "load", "schema" or the validate.Validator method.
	Check string `json:"check"`
	// Level is the RFC 2119 level when the validator ties the finding to a spec sentence.
	Level string `json:"level,omitempty"`
	// Reference is the runtime-spec URL the validator gives for such a finding.
	Reference string `json:"reference,omitempty"`
	Message   string `json:"message"`
}

// Result is the verdict on one PATH.
type Result struct {
	Path       string    `json:"path"`
	Bundle     string    `json:"bundle"`
	OCIVersion string    `json:"ociVersion,omitempty"`
	Valid      bool      `json:"valid"`
	Errors     []Finding `json:"errors"`
	Warnings   []Finding `json:"warnings"`
	// UnknownFields are JSON pointers to members that the validator's Go types (runtime-spec
	// 1.0.2-dev) do not have: json.Unmarshal drops them, so no Check* method sees them, and the
	// schema of that version does not describe them either. Informational, not an error.
	UnknownFields []string `json:"unknownFields"`
}

// check is one validator entry point that this tool runs.
type check struct {
	name string
	run  func(v *validate.Validator) error
}

// The Validator methods this tool calls, in CheckAll's order. CheckJSONSchema is replaced by
// schemaCheck (it downloads the schema); CheckRoot is left out with --config-only. See README.md.
func checks(configOnly bool) []check {
	list := []check{
		{"CheckPlatform", (*validate.Validator).CheckPlatform},
		{"CheckRoot", (*validate.Validator).CheckRoot},
		{"CheckMandatoryFields", (*validate.Validator).CheckMandatoryFields},
		{"CheckSemVer", (*validate.Validator).CheckSemVer},
		{"CheckMounts", (*validate.Validator).CheckMounts},
		{"CheckProcess", (*validate.Validator).CheckProcess},
		{"CheckLinux", (*validate.Validator).CheckLinux},
		{"CheckAnnotations", (*validate.Validator).CheckAnnotations},
		{"CheckHooks", (*validate.Validator).CheckHooks},
	}
	if !configOnly {
		return list
	}
	out := list[:0:0]
	for _, c := range list {
		if c.name != "CheckRoot" {
			out = append(out, c)
		}
	}
	return out
}

// warningCollector receives the validator's logrus warnings for the check that is running.
type warningCollector struct {
	check  string
	target *[]Finding
}

func (w *warningCollector) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (w *warningCollector) Fire(e *logrus.Entry) error {
	// Printed by CheckMounts on every config: mount types are only checked against
	// /proc/filesystems in host-specific mode, which this tool leaves off on purpose.
	if strings.HasPrefix(e.Message, "Checking linux mount types without --host-specific") {
		return nil
	}
	if w.target != nil {
		*w.target = append(*w.target, Finding{Check: w.check, Message: e.Message})
	}
	return nil
}

var collector = &warningCollector{}

func main() {
	fs := flag.NewFlagSet("rt-validate", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print a JSON array with one result per PATH")
	configOnly := fs.Bool("config-only", false, "leave out CheckRoot (the rootfs directory and bundle layout on disk)")
	schemaDir := fs.String("schema-dir", envOr("RT_VALIDATE_SCHEMA_DIR", defaultSchemaDir), "directory holding the runtime-spec config-schema.json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: rt-validate [--json] [--config-only] [--schema-dir DIR] BUNDLE-OR-CONFIG...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		os.Exit(2)
	}
	schemaPath := filepath.Join(*schemaDir, "config-schema.json")
	if _, err := os.Stat(schemaPath); err != nil {
		fmt.Fprintf(os.Stderr, "rt-validate: %v (install golang-github-opencontainers-specs-dev or pass --schema-dir)\n", err)
		os.Exit(2)
	}
	// Compile the schema once: gojsonschema resolves its relative $refs (defs.json, ...) from
	// the file URL.
	schema, err := gojsonschema.NewSchema(gojsonschema.NewReferenceLoader((&url.URL{Scheme: "file", Path: schemaPath}).String()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "rt-validate: loading %s: %v\n", schemaPath, err)
		os.Exit(2)
	}

	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.WarnLevel)
	logrus.AddHook(collector)

	results := make([]Result, 0, fs.NArg())
	allValid := true
	for _, p := range fs.Args() {
		r := validatePath(p, schema, *configOnly)
		allValid = allValid && r.Valid
		results = append(results, r)
	}

	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			fmt.Fprintf(os.Stderr, "rt-validate: %v\n", err)
			os.Exit(2)
		}
	} else {
		printText(os.Stdout, results)
	}
	if !allValid {
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// validatePath loads one bundle or config file and runs every check on it.
func validatePath(p string, schema *gojsonschema.Schema, configOnly bool) Result {
	r := Result{Path: p, Errors: []Finding{}, Warnings: []Finding{}, UnknownFields: []string{}}
	configPath, bundle := p, filepath.Dir(p)
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		configPath, bundle = filepath.Join(p, "config.json"), p
	}
	r.Bundle = bundle

	content, err := os.ReadFile(configPath)
	if err == nil && !utf8.Valid(content) {
		err = fmt.Errorf("%s is not encoded in UTF-8", configPath)
	}
	var raw interface{}
	if err == nil {
		err = json.Unmarshal(content, &raw)
	}
	var spec rspec.Spec
	if err == nil {
		// The same decoding as validate.NewValidatorFromPath: into the Go types of the
		// runtime-spec version that the runtime-tools package was built against.
		err = json.Unmarshal(content, &spec)
	}
	if err != nil {
		r.Errors = append(r.Errors, Finding{Check: "load", Message: err.Error()})
		return r
	}
	r.OCIVersion = spec.Version
	r.UnknownFields = unknownFields(raw, reflect.TypeOf(spec), "")

	add := func(name string, err error) {
		found := findings(name, err)
		// Some checks walk Go maps (CheckCapabilities, CheckAnnotations, CheckLinux's sysctl):
		// sort each check's findings so that the output does not change from run to run.
		sort.SliceStable(found, func(i, j int) bool { return found[i].Message < found[j].Message })
		for _, f := range found {
			if (f.Level != "" && levelBelowMust(f.Level)) || versionNotHandled(f) {
				r.Warnings = append(r.Warnings, f)
			} else {
				r.Errors = append(r.Errors, f)
			}
		}
	}

	add("schema", schemaCheck(schema, raw, spec.Version))

	// hostSpecific=false: no comparison with this host (capabilities of this kernel, mount
	// types in /proc/filesystems, hook files present and executable, network interfaces).
	v, err := validate.NewValidator(&spec, bundle, false, "linux")
	if err != nil {
		add("NewValidator", err)
		r.Valid = len(r.Errors) == 0
		return r
	}
	for _, c := range checks(configOnly) {
		collector.check, collector.target = c.name, &r.Warnings
		add(c.name, runCheck(c, &v))
	}
	collector.target = nil
	r.Valid = len(r.Errors) == 0
	return r
}

// runCheck runs one check; a panic (some checks dereference optional fields, e.g. CheckLinux
// reads root.path for linux.devices) becomes an error instead of ending the whole run.
func runCheck(c check, v *validate.Validator) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s panicked: %v", c.name, p)
		}
	}()
	return c.run(v)
}

// schemaCheck is validate.CheckJSONSchema without the download: CheckJSONSchema loads
// https://raw.githubusercontent.com/opencontainers/runtime-spec/v<ociVersion>/schema/config-schema.json,
// which CI cannot reach. It keeps that method's version gate (JSONSchemaURL: SemVer, and not
// older than 1.0.2) and validates against the schema Debian ships with the Go types instead,
// whatever version the config declares. It validates the document as written, not the Go value
// that CheckJSONSchema re-encodes (which has lost the members the Go types lack).
func schemaCheck(schema *gojsonschema.Schema, raw interface{}, version string) error {
	if _, err := validate.JSONSchemaURL(strings.TrimSuffix(version, "-dev")); err != nil {
		return err
	}
	res, err := schema.Validate(gojsonschema.NewGoLoader(raw))
	if err != nil {
		return err
	}
	var errs *multierror.Error
	for _, e := range res.Errors() {
		errs = multierror.Append(errs, errors.New(e.String()))
	}
	return errs.ErrorOrNil()
}

// findings flattens the (possibly nested) multierror a check returns.
func findings(checkName string, err error) []Finding {
	if err == nil {
		return nil
	}
	var merr *multierror.Error
	if errors.As(err, &merr) {
		var out []Finding
		for _, e := range merr.Errors {
			out = append(out, findings(checkName, e)...)
		}
		return out
	}
	f := Finding{Check: checkName, Message: err.Error()}
	var serr *specerror.Error
	if errors.As(err, &serr) {
		f.Level = serr.Err.Level.String()
		f.Reference = serr.Err.Reference
		f.Message = serr.Err.Err.Error()
	}
	return []Finding{f}
}

// versionNotHandled tells the one finding this tool demotes from error to warning: CheckSemVer
// says "validate currently only handles version 1.0.2-dev, but the supplied configuration
// targets X" for any ociVersion other than the one its Go types were generated from. That is a
// statement about the validator's coverage (see unknownFields), not about the config, and as
// an error it would fail every config that declares runtime-spec 1.1 or later.
func versionNotHandled(f Finding) bool {
	return f.Check == "CheckSemVer" && f.Level == "" && strings.HasPrefix(f.Message, "validate currently only handles version ")
}

// levelBelowMust reports whether an RFC 2119 level name is below MUST (what
// `oci-runtime-tool validate --compliance-level=must`, its default, turns into a warning).
func levelBelowMust(name string) bool {
	for l := rfc2119.May; l <= rfc2119.Required; l++ {
		if l.String() == name {
			return l < rfc2119.Must
		}
	}
	return false
}

// unknownFields lists the JSON pointers of object members in raw that the Go type t does not
// declare (by its json tags). Maps and interface values take any member.
func unknownFields(raw interface{}, t reflect.Type, ptr string) []string {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	out := []string{}
	switch val := raw.(type) {
	case map[string]interface{}:
		if t.Kind() == reflect.Map {
			for k, item := range val {
				out = append(out, unknownFields(item, t.Elem(), ptr+"/"+escapePointer(k))...)
			}
			break
		}
		if t.Kind() != reflect.Struct {
			break
		}
		fields := jsonFields(t)
		for k, item := range val {
			ft, ok := fields[k]
			if !ok {
				out = append(out, ptr+"/"+escapePointer(k))
				continue
			}
			out = append(out, unknownFields(item, ft, ptr+"/"+escapePointer(k))...)
		}
	case []interface{}:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, item := range val {
				out = append(out, unknownFields(item, t.Elem(), fmt.Sprintf("%s/%d", ptr, i))...)
			}
		}
	}
	sort.Strings(out)
	return out
}

// jsonFields maps the JSON member names of a struct type (embedded structs flattened, as
// encoding/json does) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name := strings.Split(tag, ",")[0]
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Ptr {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				for k, v := range jsonFields(et) {
					out[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func printText(w io.Writer, results []Result) {
	for _, r := range results {
		verdict := "valid"
		if !r.Valid {
			verdict = "INVALID"
		}
		fmt.Fprintf(w, "%s: %s (ociVersion %q, %d errors, %d warnings)\n", r.Path, verdict, r.OCIVersion, len(r.Errors), len(r.Warnings))
		for _, f := range r.Errors {
			fmt.Fprintf(w, "  error   %s\n", describe(f))
		}
		for _, f := range r.Warnings {
			fmt.Fprintf(w, "  warning %s\n", describe(f))
		}
		if len(r.UnknownFields) > 0 {
			fmt.Fprintf(w, "  not known to the validator's runtime-spec %s types: %s\n", rspec.Version, strings.Join(r.UnknownFields, " "))
		}
	}
}

func describe(f Finding) string {
	s := fmt.Sprintf("[%s] %s", f.Check, f.Message)
	if f.Level != "" {
		s += fmt.Sprintf(" (%s", f.Level)
		if f.Reference != "" {
			s += ", " + f.Reference
		}
		s += ")"
	}
	return s
}
