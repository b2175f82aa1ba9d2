// Package image assembles the Kumeo runtime image, the OCI image every
// agent Deployment runs: a static kumeo binary, CA certificates and a
// non-root user, in a reproducible way (the same inputs give the same
// digest), without a container engine. It writes the image as an OCI
// layout directory or a docker-loadable tarball, or pushes it to a
// registry.
package image

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Paths and identity inside the image.
const (
	// BinaryPath is where the kumeo binary lives; it is the entrypoint.
	BinaryPath = "/usr/local/bin/kumeo"
	// CACertsPath is where the CA certificate bundle lives.
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
	// UserName is the non-root user the image runs as.
	UserName = "kumeo"
	// UID is the user and group id of UserName.
	UID = 65532
	// HomeDir is the user's home and the working directory.
	HomeDir = "/home/kumeo"
	// DefaultSource is the org.opencontainers.image.source label when
	// Options.Source is empty.
	DefaultSource = "https://github.com/kumeo/kumeo"
)

// Label keys set on the image configuration.
const (
	LabelSource   = "org.opencontainers.image.source"
	LabelVersion  = "org.opencontainers.image.version"
	LabelRevision = "org.opencontainers.image.revision"
	LabelTitle    = "org.opencontainers.image.title"
)

// Options describe the image to build.
type Options struct {
	// Binary is the path of the Linux kumeo executable (required). It must
	// be static, unless Extra holds its program interpreter and the shared
	// libraries it needs.
	Binary string
	// CACerts is the CA certificate bundle to copy into the image; empty
	// means /etc/ssl/certs/ca-certificates.crt of this machine.
	CACerts string
	// Extra files go into one more layer, after the binary's: shared
	// libraries for a variant of the image, for example. A destination
	// that looks like a shared library (name containing ".so") puts its
	// directory on LD_LIBRARY_PATH.
	Extra []File
	// Env adds or replaces KEY=VALUE environment variables of the image.
	Env []string
	// Created is the time of every file and of the image; the zero value
	// means the Unix epoch, so builds are reproducible.
	Created time.Time
	// Version and Revision label the image; empty means what the binary
	// records, if anything.
	Version, Revision string
	// Source labels the image with where its source lives; empty means
	// DefaultSource.
	Source string
	// Labels are more labels; they override the ones above.
	Labels map[string]string
}

// File is a file of the build machine copied into the image.
type File struct {
	// Src is the file on the build machine.
	Src string
	// Dst is its absolute path inside the image.
	Dst string
	// Mode is its permission bits in the image; 0 means those of Src.
	Mode fs.FileMode
}

// ParseFile parses SRC:DST, where DST is an absolute path inside the
// image (the last colon separates the two).
func ParseFile(s string) (File, error) {
	i := strings.LastIndex(s, ":")
	if i <= 0 || i == len(s)-1 {
		return File{}, fmt.Errorf("extra file %q: want SRC:DST, e.g. ./libonnxruntime.so:/usr/lib/libonnxruntime.so", s)
	}
	f := File{Src: s[:i], Dst: s[i+1:]}
	if err := checkDst(f.Dst); err != nil {
		return File{}, fmt.Errorf("extra file %q: %w", s, err)
	}
	return f, nil
}

// checkDst requires an absolute, clean path that is not the root.
func checkDst(dst string) error {
	if !path.IsAbs(dst) || path.Clean(dst) != dst || dst == "/" {
		return fmt.Errorf("destination %q must be a clean absolute path inside the image, e.g. /usr/lib/libonnxruntime.so", dst)
	}
	return nil
}

// Build assembles the image: a base layer (CA certificates, /etc/passwd
// and /etc/group with the kumeo user, its home, /tmp), a layer with the
// binary, and a layer with the extra files if there are any. The
// configuration runs BinaryPath as UID:UID in HomeDir on the binary's
// platform. A dynamically linked binary is refused with an error wrapping
// ErrNotStatic unless the extra files provide what it needs.
func Build(opts Options) (v1.Image, error) {
	if opts.Binary == "" {
		return nil, errors.New("no binary: give the path of a static Linux kumeo executable")
	}
	for _, kv := range opts.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("environment variable %q: want KEY=VALUE", kv)
		}
	}
	bin, err := Inspect(opts.Binary)
	if err != nil {
		return nil, err
	}
	if err := bin.checkRuntime(opts.Extra); err != nil {
		return nil, err
	}
	mtime := opts.Created.UTC()
	if opts.Created.IsZero() {
		mtime = time.Unix(0, 0).UTC()
	}
	layers, err := buildLayers(opts, mtime)
	if err != nil {
		return nil, err
	}
	cfg := configFile(opts, bin, mtime)
	img, err := mutate.ConfigFile(mutate.MediaType(empty.Image, types.OCIManifestSchema1), cfg)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	return mutate.Append(img, layers...)
}

// buildLayers reads every input and returns the image's layers with their
// history entries.
func buildLayers(opts Options, mtime time.Time) ([]mutate.Addendum, error) {
	base, err := baseTree(opts.CACerts)
	if err != nil {
		return nil, err
	}
	binTree := tree{}
	data, err := os.ReadFile(opts.Binary)
	if err != nil {
		return nil, fmt.Errorf("binary: %w", err)
	}
	if err := binTree.addFile(BinaryPath, 0o755, data); err != nil {
		return nil, err
	}
	trees := []tree{base, binTree}
	what := []string{"base files: CA certificates, user " + UserName, BinaryPath}
	if len(opts.Extra) > 0 {
		extra, err := extraTree(opts.Extra)
		if err != nil {
			return nil, err
		}
		trees = append(trees, extra)
		what = append(what, "extra files")
	}
	adds := make([]mutate.Addendum, len(trees))
	for i, t := range trees {
		l, err := t.layer(mtime)
		if err != nil {
			return nil, err
		}
		adds[i] = mutate.Addendum{
			Layer:     l,
			MediaType: types.OCILayer,
			History:   v1.History{Created: v1.Time{Time: mtime}, CreatedBy: "kumeo image: " + what[i]},
		}
	}
	return adds, nil
}

// baseTree holds the files every image has.
func baseTree(caCerts string) (tree, error) {
	if caCerts == "" {
		caCerts = CACertsPath
	}
	certs, err := os.ReadFile(caCerts)
	if err != nil {
		return nil, fmt.Errorf("CA certificates: %w (install the ca-certificates package, or give another bundle)", err)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("CA certificates: %s is empty", caCerts)
	}
	id := fmt.Sprint(UID)
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		UserName + ":x:" + id + ":" + id + ":" + UserName + ":" + HomeDir + ":/sbin/nologin\n"
	group := "root:x:0:\n" + UserName + ":x:" + id + ":\n"
	t := tree{}
	for _, d := range []entry{
		{name: "/root", mode: 0o700},
		{name: "/tmp", mode: 0o1777},
		{name: HomeDir, mode: 0o755, uid: UID, gid: UID},
	} {
		if err := t.addDir(d.name, d.mode, d.uid, d.gid); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{CACertsPath, certs},
		{"/etc/passwd", []byte(passwd)},
		{"/etc/group", []byte(group)},
		{"/etc/nsswitch.conf", []byte("hosts: files dns\n")},
	} {
		if err := t.addFile(f.name, 0o644, f.data); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// extraTree reads the extra files into a layer's tree.
func extraTree(files []File) (tree, error) {
	t := tree{}
	for _, f := range files {
		if err := checkDst(f.Dst); err != nil {
			return nil, fmt.Errorf("extra file %s: %w", f.Src, err)
		}
		st, err := os.Stat(f.Src)
		if err != nil {
			return nil, fmt.Errorf("extra file: %w", err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("extra file %s: not a regular file (give each file of a directory on its own)", f.Src)
		}
		data, err := os.ReadFile(f.Src)
		if err != nil {
			return nil, fmt.Errorf("extra file: %w", err)
		}
		mode := f.Mode.Perm()
		if mode == 0 {
			mode = st.Mode().Perm()
		}
		if err := t.addFile(f.Dst, int64(mode), data); err != nil {
			return nil, fmt.Errorf("extra file %s: %w", f.Src, err)
		}
	}
	return t, nil
}

// configFile is the image configuration.
func configFile(opts Options, bin Binary, created time.Time) *v1.ConfigFile {
	labels := map[string]string{LabelTitle: "kumeo"}
	set := func(k, v, fallback string) {
		if v == "" {
			v = fallback
		}
		if v != "" {
			labels[k] = v
		}
	}
	set(LabelSource, opts.Source, DefaultSource)
	set(LabelVersion, opts.Version, bin.Version)
	set(LabelRevision, opts.Revision, bin.Revision)
	for k, v := range opts.Labels {
		labels[k] = v
	}
	return &v1.ConfigFile{
		Architecture: bin.Arch,
		OS:           "linux",
		Created:      v1.Time{Time: created},
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			User:       fmt.Sprintf("%d:%d", UID, UID),
			Entrypoint: []string{BinaryPath},
			WorkingDir: HomeDir,
			Env:        environment(opts),
			Labels:     labels,
		},
	}
}

// environment is the image's environment: PATH, SSL_CERT_FILE, HOME,
// LD_LIBRARY_PATH for extra shared libraries, then opts.Env, which
// replaces a variable of the same name.
func environment(opts Options) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"SSL_CERT_FILE=" + CACertsPath,
		"HOME=" + HomeDir,
	}
	if dirs := libDirs(opts.Extra); len(dirs) > 0 {
		env = append(env, "LD_LIBRARY_PATH="+strings.Join(dirs, ":"))
	}
	for _, kv := range opts.Env {
		key, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range env {
			if strings.HasPrefix(old, key+"=") {
				env[i], replaced = kv, true
			}
		}
		if !replaced {
			env = append(env, kv)
		}
	}
	return env
}

// libDirs returns the sorted directories of the extra files that look
// like shared libraries.
func libDirs(files []File) []string {
	seen := map[string]bool{}
	var dirs []string
	for _, f := range files {
		if strings.Contains(path.Base(f.Dst), ".so") && !seen[path.Dir(f.Dst)] {
			seen[path.Dir(f.Dst)] = true
			dirs = append(dirs, path.Dir(f.Dst))
		}
	}
	sort.Strings(dirs)
	return dirs
}
