// sdkgen writes the Python and Go SDKs of a Pulumi package schema with the code generators of
// github.com/pulumi/pulumi/pkg/v3 (codegen/python, codegen/go): the same code `pulumi package
// gen-sdk` reaches through the language plugins, which cannot be built on these machines.
//
//	sdkgen -schema schema.json -out DIR [-languages python,go]
//
// Each language's tree replaces DIR/<language> whole, so files the schema no longer yields
// disappear. Nothing else is written; the SDKs' settings (package names, module path,
// version) are the schema's `language` block.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// tool is the name the generators write into each file's "do not edit" header.
const tool = "pulumi-netkit sdkgen (npm run gen)"

// noDependencies is the loader of a package that references no other package: binding never
// needs one, and a reference to another package is an error worth stopping for.
type noDependencies struct{}

var errNoDependencies = errors.New("the schema references another package; sdkgen loads none")

func (noDependencies) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errNoDependencies
}

func (noDependencies) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoDependencies
}

func (noDependencies) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoDependencies
}

func (noDependencies) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errNoDependencies
}

// bind reads and validates the schema. Each generator gets a package of its own: importing a
// language's settings mutates it.
func bind(path string) (*schema.Package, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noDependencies{}, schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", path, diags.Error())
	}
	return pkg, nil
}

func generate(language string, pkg *schema.Package) (map[string][]byte, error) {
	switch language {
	case "python":
		files, err := python.GeneratePackage(tool, pkg, nil, noDependencies{})
		if err != nil {
			return nil, err
		}
		// pyproject.toml names README.md beside it as the project's readme; the generator
		// writes one only inside the package (from the schema's description).
		name := python.PyPack(pkg.Namespace, pkg.Name)
		if info, ok := pkg.Language["python"].(python.PackageInfo); ok && info.PackageName != "" {
			name = info.PackageName
		}
		readme, ok := files[filepath.Join(name, "README.md")]
		if !ok {
			return nil, fmt.Errorf("the python generator wrote no %s/README.md", name)
		}
		files["README.md"] = readme
		return files, nil
	case "go":
		dropUnionDefaults(pkg)
		return gogen.GeneratePackage(tool, pkg, nil)
	}
	return nil, fmt.Errorf("unknown language %q (python, go)", language)
}

// dropUnionDefaults removes the defaults of properties whose type is a union (netkit's sudo:
// false, or a SudoOptions): the Go generator writes no valid expression for them (it emits
// `pulumi.(false)`). The provider applies the default itself, and the description states it.
func dropUnionDefaults(pkg *schema.Package) {
	isUnion := func(t schema.Type) bool {
		for {
			switch u := t.(type) {
			case *schema.UnionType:
				return true
			case *schema.OptionalType:
				t = u.ElementType
			case *schema.InputType:
				t = u.ElementType
			default:
				return false
			}
		}
	}
	drop := func(props []*schema.Property) {
		for _, p := range props {
			if p.DefaultValue != nil && isUnion(p.Type) {
				p.DefaultValue = nil
			}
		}
	}
	drop(pkg.Config)
	if pkg.Provider != nil {
		drop(pkg.Provider.InputProperties)
		drop(pkg.Provider.Properties)
	}
	for _, r := range pkg.Resources {
		drop(r.InputProperties)
		drop(r.Properties)
	}
	for _, t := range pkg.Types {
		if o, ok := t.(*schema.ObjectType); ok {
			drop(o.Properties)
			if o.InputShape != nil {
				drop(o.InputShape.Properties)
			}
		}
	}
}

// write replaces dir with exactly these files, through a sibling directory renamed into place.
func write(dir string, files map[string][]byte) error {
	stage := dir + ".sdkgen-new"
	if err := os.RemoveAll(stage); err != nil {
		return err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		target := filepath.Join(stage, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, files[p], 0o644); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(stage, dir)
}

func main() {
	schemaPath := flag.String("schema", "schema.json", "the package schema")
	out := flag.String("out", "", "directory to write <language>/ into")
	languages := flag.String("languages", "python,go", "comma-separated: python, go")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: sdkgen -schema schema.json -out DIR [-languages python,go]")
		os.Exit(2)
	}
	for _, language := range strings.Split(*languages, ",") {
		pkg, err := bind(*schemaPath)
		if err == nil {
			var files map[string][]byte
			if files, err = generate(language, pkg); err == nil {
				err = write(filepath.Join(*out, language), files)
			}
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "sdkgen: %s SDK: %v\n", language, err)
			os.Exit(1)
		}
	}
}
