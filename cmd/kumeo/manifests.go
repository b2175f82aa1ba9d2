package main

import (
	"io"

	"github.com/kumeo/kumeo/deploy"
)

const manifestsUsage = "kumeo manifests FILE [--workflow W] [--image REF] [-o yaml|json]"

// cmdManifests prints the Kubernetes objects that run a workflow in a
// cluster. ${env.X} values are read from the environment into a Secret.
func cmdManifests(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("manifests", stderr)
	workflow := fs.String("workflow", "", "workflow to render when the file has several (default: the first)")
	image := fs.String("image", "", "runtime image (default: the deployment block's registry, else "+deploy.DefaultImage+")")
	format := fs.String("o", "yaml", "output format: yaml or json")
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	if len(files) != 1 || (*format != "yaml" && *format != "json") {
		return usageError(stderr, manifestsUsage)
	}
	f, err := readWorkflow(stderr, files[0], true)
	if err != nil {
		return err
	}
	objs, err := deploy.Render(f, *workflow, deploy.Options{Image: *image})
	if err != nil {
		return err
	}
	var out []byte
	if *format == "json" {
		out, err = deploy.JSON(objs)
	} else {
		out, err = deploy.YAML(objs)
	}
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}
