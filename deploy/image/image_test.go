package image

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureVersion is what the fixture binary is built with -X main.version.
const fixtureVersion = "1.2.3-test"

var fixture struct {
	once sync.Once
	path string
	err  error
}

// staticBinary builds, once per test run, a tiny static Go program for
// linux/GOARCH and returns its path.
func staticBinary(t *testing.T) string {
	t.Helper()
	fixture.once.Do(func() {
		dir, err := os.MkdirTemp("", "kumeo-image-fixture")
		if err != nil {
			fixture.err = err
			return
		}
		src := "package main\n\nvar version = \"dev\"\n\nfunc main() { println(version) }\n"
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
			fixture.err = err
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module fixture\n\ngo 1.22\n"), 0o644); err != nil {
			fixture.err = err
			return
		}
		fixture.path = filepath.Join(dir, "kumeo")
		cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+fixtureVersion, "-o", fixture.path, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-buildvcs=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			fixture.err = fmt.Errorf("go build fixture: %w\n%s", err, out)
		}
	})
	require.NoError(t, fixture.err)
	return fixture.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.path != "" {
		os.RemoveAll(filepath.Dir(fixture.path))
	}
	os.Exit(code)
}

// newRegistry starts go-containerregistry's in-process registry and
// returns its host:port.
func newRegistry(t *testing.T) string {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials of this machine
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// file is one entry of a layer as read back.
type file struct {
	hdr  *tar.Header
	data []byte
}

// layerFiles reads the entries of a layer in their order.
func layerFiles(t *testing.T, l v1.Layer) ([]string, map[string]file) {
	t.Helper()
	rc, err := l.Uncompressed()
	require.NoError(t, err)
	defer rc.Close()
	tr := tar.NewReader(rc)
	var order []string
	files := map[string]file{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		order = append(order, h.Name)
		files[h.Name] = file{hdr: h, data: data}
	}
	return order, files
}

// imageFiles merges the entries of every layer, upper layers winning.
func imageFiles(t *testing.T, img v1.Image) map[string]file {
	t.Helper()
	layers, err := img.Layers()
	require.NoError(t, err)
	all := map[string]file{}
	for _, l := range layers {
		_, files := layerFiles(t, l)
		for n, f := range files {
			all[n] = f
		}
	}
	return all
}

func TestPushAndPullByDigest(t *testing.T) {
	bin := staticBinary(t)
	img, err := Build(Options{Binary: bin, Revision: "abc123", Created: time.Unix(1700000000, 0)})
	require.NoError(t, err)
	host := newRegistry(t)

	ref, err := Push(context.Background(), host+"/kumeo/runtime:v1", img)
	require.NoError(t, err)
	want, err := img.Digest()
	require.NoError(t, err)
	assert.Equal(t, host+"/kumeo/runtime@"+want.String(), ref.String())

	pulled, err := remote.Image(ref)
	require.NoError(t, err)
	require.NoError(t, validate.Image(pulled))
	got, err := pulled.Digest()
	require.NoError(t, err)
	assert.Equal(t, want, got)
	tag, err := name.NewTag(host + "/kumeo/runtime:v1")
	require.NoError(t, err)
	byTag, err := remote.Image(tag)
	require.NoError(t, err)
	tagDigest, err := byTag.Digest()
	require.NoError(t, err)
	assert.Equal(t, want, tagDigest, "the tag points at the pushed image")

	mt, err := pulled.MediaType()
	require.NoError(t, err)
	assert.Equal(t, types.OCIManifestSchema1, mt)
	cfg, err := pulled.ConfigFile()
	require.NoError(t, err)
	assert.Equal(t, "linux", cfg.OS)
	assert.Equal(t, runtime.GOARCH, cfg.Architecture)
	assert.Equal(t, "65532:65532", cfg.Config.User)
	assert.Equal(t, []string{"/usr/local/bin/kumeo"}, cfg.Config.Entrypoint)
	assert.Empty(t, cfg.Config.Cmd)
	assert.Equal(t, "/home/kumeo", cfg.Config.WorkingDir)
	assert.Contains(t, cfg.Config.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt")
	assert.Equal(t, time.Unix(1700000000, 0).UTC(), cfg.Created.Time.UTC())
	assert.Equal(t, map[string]string{
		LabelTitle:    "kumeo",
		LabelSource:   DefaultSource,
		LabelVersion:  fixtureVersion, // read from the binary
		LabelRevision: "abc123",
	}, cfg.Config.Labels)
	require.Len(t, cfg.History, 2)
	require.Len(t, cfg.RootFS.DiffIDs, 2)
	assert.Equal(t, "layers", cfg.RootFS.Type)

	assertFiles(t, pulled, bin, time.Unix(1700000000, 0))
}

// assertFiles checks the files of a pulled image against its inputs.
func assertFiles(t *testing.T, img v1.Image, bin string, mtime time.Time) {
	t.Helper()
	files := imageFiles(t, img)
	binData, err := os.ReadFile(bin)
	require.NoError(t, err)
	certs, err := os.ReadFile(CACertsPath)
	require.NoError(t, err)

	k := files["usr/local/bin/kumeo"]
	require.NotNil(t, k.hdr, "binary in the image")
	assert.True(t, bytes.Equal(binData, k.data), "binary bytes equal")
	assert.Equal(t, int64(0o755), k.hdr.Mode)
	assert.Equal(t, 0, k.hdr.Uid)
	assert.Equal(t, 0, k.hdr.Gid)
	assert.True(t, bytes.Equal(certs, files["etc/ssl/certs/ca-certificates.crt"].data), "CA certificates copied")
	assert.Contains(t, string(files["etc/passwd"].data), "\nkumeo:x:65532:65532:kumeo:/home/kumeo:/sbin/nologin\n")
	assert.Contains(t, string(files["etc/group"].data), "\nkumeo:x:65532:\n")
	home := files["home/kumeo/"]
	require.NotNil(t, home.hdr, "home directory")
	assert.Equal(t, byte(tar.TypeDir), home.hdr.Typeflag)
	assert.Equal(t, 65532, home.hdr.Uid)
	assert.Equal(t, 65532, home.hdr.Gid)
	assert.Equal(t, int64(0o1777), files["tmp/"].hdr.Mode)
	assert.Equal(t, int64(0o755), files["home/"].hdr.Mode, "parent directories are in the layer")
	for n, f := range files {
		assert.True(t, f.hdr.ModTime.Equal(mtime), "%s modified at %v, want %v", n, f.hdr.ModTime, mtime)
		assert.Empty(t, f.hdr.Uname, n)
	}
}

func TestSameInputsSameDigest(t *testing.T) {
	bin := staticBinary(t)
	digest := func(opts Options) v1.Hash {
		img, err := Build(opts)
		require.NoError(t, err)
		d, err := img.Digest()
		require.NoError(t, err)
		return d
	}
	first := digest(Options{Binary: bin})
	assert.Equal(t, first, digest(Options{Binary: bin}), "two builds of the same binary")

	// A copy of the binary with a new modification time changes nothing.
	other := filepath.Join(t.TempDir(), "kumeo")
	data, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(other, data, 0o700))
	assert.Equal(t, first, digest(Options{Binary: other}))

	assert.NotEqual(t, first, digest(Options{Binary: bin, Created: time.Unix(1, 0)}), "the timestamp is part of the image")
	assert.NotEqual(t, first, digest(Options{Binary: bin, Version: "2.0"}), "labels are part of the image")
}

func TestLayerEntriesSortedAndTimed(t *testing.T) {
	img, err := Build(Options{Binary: staticBinary(t), Extra: []File{
		{Src: writeFile(t, "z", "z"), Dst: "/opt/z/z.txt"},
		{Src: writeFile(t, "a", "a"), Dst: "/opt/a.txt"},
	}})
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 3)
	for i, l := range layers {
		order, files := layerFiles(t, l)
		assert.True(t, sort.StringsAreSorted(order), "layer %d entries sorted: %v", i, order)
		for n, f := range files {
			assert.True(t, f.hdr.ModTime.Equal(time.Unix(0, 0)), "layer %d %s at %v", i, n, f.hdr.ModTime)
		}
		mt, err := l.MediaType()
		require.NoError(t, err)
		assert.Equal(t, types.OCILayer, mt)
	}
	order, _ := layerFiles(t, layers[2])
	assert.Equal(t, []string{"opt/", "opt/a.txt", "opt/z/", "opt/z/z.txt"}, order)
}

// mustDigest returns the digest of img.
func mustDigest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	require.NoError(t, err)
	return d
}

// writeFile writes text to a new file name in a temporary directory.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	fn := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(fn, []byte(text), 0o644))
	return fn
}

func TestExtraFilesLayer(t *testing.T) {
	bin := staticBinary(t)
	lib := writeFile(t, "libfake.so.1", "not really a library")
	require.NoError(t, os.Chmod(lib, 0o755))
	extra, err := ParseFile(lib + ":/usr/lib/libfake.so.1")
	require.NoError(t, err)
	img, err := Build(Options{Binary: bin, Extra: []File{extra}, Env: []string{"ORT_LOG=1", "HOME=/data"}})
	require.NoError(t, err)
	plain, err := Build(Options{Binary: bin})
	require.NoError(t, err)

	layers, err := img.Layers()
	require.NoError(t, err)
	plainLayers, err := plain.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 3)
	for i := range plainLayers {
		a, _ := layers[i].Digest()
		b, _ := plainLayers[i].Digest()
		assert.Equal(t, b, a, "layer %d is shared with the plain image", i)
	}
	_, files := layerFiles(t, layers[2])
	f := files["usr/lib/libfake.so.1"]
	require.NotNil(t, f.hdr)
	assert.Equal(t, "not really a library", string(f.data))
	assert.Equal(t, int64(0o755), f.hdr.Mode)
	assert.Equal(t, byte(tar.TypeDir), files["usr/lib/"].hdr.Typeflag)

	cfg, err := img.ConfigFile()
	require.NoError(t, err)
	assert.Contains(t, cfg.Config.Env, "LD_LIBRARY_PATH=/usr/lib")
	assert.Contains(t, cfg.Config.Env, "ORT_LOG=1")
	assert.Contains(t, cfg.Config.Env, "HOME=/data")
	assert.NotContains(t, cfg.Config.Env, "HOME=/home/kumeo", "Env replaces a variable of the same name")
	assert.Equal(t, "kumeo image: extra files", cfg.History[2].CreatedBy)
}

func TestWriteLayout(t *testing.T) {
	bin := staticBinary(t)
	dir := filepath.Join(t.TempDir(), "image")
	img, err := Build(Options{Binary: bin})
	require.NoError(t, err)
	d1, err := WriteLayout(dir, "kumeo:latest", img)
	require.NoError(t, err)
	// Writing again under the same name replaces the entry.
	d2, err := WriteLayout(dir, "kumeo:latest", img)
	require.NoError(t, err)
	assert.Equal(t, d1, d2)
	other, err := Build(Options{Binary: bin, Version: "other"})
	require.NoError(t, err)
	d3, err := WriteLayout(dir, "kumeo:other", other)
	require.NoError(t, err)
	assert.NotEqual(t, d1, d3)

	p, err := layout.FromPath(dir)
	require.NoError(t, err)
	idx, err := p.ImageIndex()
	require.NoError(t, err)
	m, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Len(t, m.Manifests, 2)
	assert.Equal(t, d1, m.Manifests[0].Digest)
	assert.Equal(t, "kumeo:latest", m.Manifests[0].Annotations[RefNameAnnotation])
	assert.Equal(t, d3, m.Manifests[1].Digest)

	read, err := p.Image(d1)
	require.NoError(t, err)
	assertFiles(t, read, bin, time.Unix(0, 0))

	// Replacing kumeo:other with a third image drops the blobs only the
	// second one used: its manifest and configuration.
	blobs := func() []string {
		entries, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	before := blobs()
	third, err := Build(Options{Binary: bin, Version: "third"})
	require.NoError(t, err)
	_, err = WriteLayout(dir, "kumeo:other", third)
	require.NoError(t, err)
	after := blobs()
	assert.Len(t, after, len(before), "one manifest and one config replaced by as many")
	assert.NotContains(t, after, d3.Hex)
	assert.Contains(t, after, d1.Hex)
	for _, d := range []v1.Hash{d1, mustDigest(t, third)} {
		img, err := p.Image(d)
		require.NoError(t, err)
		assert.NoError(t, validate.Image(img), "every blob of %s is still there and matches", d)
	}
	cfg, err := read.ConfigFile()
	require.NoError(t, err)
	assert.Equal(t, "65532:65532", cfg.Config.User)
}

func TestWriteLayoutRefusesOtherDirectory(t *testing.T) {
	img, err := Build(Options{Binary: staticBinary(t)})
	require.NoError(t, err)
	dir := t.TempDir()
	writeFileAt(t, filepath.Join(dir, "notes.txt"))
	_, err = WriteLayout(dir, "kumeo:latest", img)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not an OCI image layout")
	_, err = os.Stat(filepath.Join(dir, "index.json"))
	assert.ErrorIs(t, err, fs.ErrNotExist, "nothing written")
}

func writeFileAt(t *testing.T, fn string) {
	t.Helper()
	require.NoError(t, os.WriteFile(fn, []byte("x"), 0o644))
}

func TestWriteTarball(t *testing.T) {
	img, err := Build(Options{Binary: staticBinary(t)})
	require.NoError(t, err)
	fn := filepath.Join(t.TempDir(), "kumeo.tar")
	d, err := WriteTarball(fn, "ghcr.io/acme/kumeo:1.0", img)
	require.NoError(t, err)
	want, _ := img.Digest()
	assert.Equal(t, want, d)

	tag := name.MustParseReference("ghcr.io/acme/kumeo:1.0").(name.Tag)
	read, err := tarball.ImageFromPath(fn, &tag)
	require.NoError(t, err)
	wantCfg, _ := img.ConfigName()
	gotCfg, err := read.ConfigName()
	require.NoError(t, err)
	assert.Equal(t, wantCfg, gotCfg, "the tarball holds the same configuration")
	wantLayers, _ := img.Layers()
	gotLayers, err := read.Layers()
	require.NoError(t, err)
	require.Len(t, gotLayers, len(wantLayers))
	for i := range wantLayers {
		a, _ := wantLayers[i].Digest()
		b, err := gotLayers[i].Digest()
		require.NoError(t, err)
		assert.Equal(t, a, b)
	}
	st, err := os.Stat(fn)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o644), st.Mode().Perm())

	_, err = WriteTarball(fn, "Not A Tag!", img)
	assert.ErrorContains(t, err, "tarball tag")
}

func TestInspect(t *testing.T) {
	b, err := Inspect(staticBinary(t))
	require.NoError(t, err)
	assert.Equal(t, runtime.GOARCH, b.Arch)
	assert.Equal(t, fixtureVersion, b.Version)
}

func TestBuildErrors(t *testing.T) {
	bin := staticBinary(t)
	missing := filepath.Join(t.TempDir(), "nope")

	_, err := Build(Options{})
	assert.ErrorContains(t, err, "no binary")

	_, err = Build(Options{Binary: missing})
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.ErrorContains(t, err, missing)

	text := writeFile(t, "kumeo", "#!/bin/sh\necho hi\n")
	_, err = Build(Options{Binary: text})
	assert.ErrorIs(t, err, ErrNotStatic)
	assert.ErrorContains(t, err, "not an ELF file")

	_, err = Build(Options{Binary: bin, CACerts: missing})
	assert.ErrorContains(t, err, "CA certificates: ")
	assert.ErrorContains(t, err, missing)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	_, err = Build(Options{Binary: bin, Extra: []File{{Src: missing, Dst: "/usr/lib/x.so"}}})
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = Build(Options{Binary: bin, Extra: []File{{Src: t.TempDir(), Dst: "/usr/lib/x"}}})
	assert.ErrorContains(t, err, "not a regular file")
	a := writeFile(t, "a", "a")
	_, err = Build(Options{Binary: bin, Extra: []File{{Src: a, Dst: "/opt/a"}, {Src: a, Dst: "/opt/a"}}})
	assert.ErrorContains(t, err, "/opt/a is given twice")
	_, err = Build(Options{Binary: bin, Extra: []File{{Src: a, Dst: "/opt/a"}, {Src: a, Dst: "/opt/a/b"}}})
	assert.ErrorContains(t, err, "/opt/a is both a file and the directory of /opt/a/b")
	_, err = Build(Options{Binary: bin, Env: []string{"NOEQUALS"}})
	assert.ErrorContains(t, err, `environment variable "NOEQUALS": want KEY=VALUE`)
}

func TestDynamicBinaryRefused(t *testing.T) {
	dyn := dynamicBinary(t)
	b, err := Inspect(dyn)
	require.NoError(t, err)
	assert.False(t, b.Static())
	_, err = Build(Options{Binary: dyn})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNotStatic)
	assert.ErrorContains(t, err, dyn+": not a static Linux executable: it is dynamically linked (needs program interpreter "+b.Interp)
	for _, lib := range b.Needed {
		assert.ErrorContains(t, err, lib)
	}
	assert.ErrorContains(t, err, "no dynamic loader or C library")
	assert.ErrorContains(t, err, "CGO_ENABLED=0")

	// With only the interpreter given, the libraries are still missing.
	interp := writeFile(t, "ld.so", "loader")
	_, err = Build(Options{Binary: dyn, Extra: []File{{Src: interp, Dst: b.Interp}}})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "program interpreter")
	assert.ErrorContains(t, err, "needs "+b.Needed[0])
}

func TestDynamicBinaryWithItsLibraries(t *testing.T) {
	dyn := dynamicBinary(t)
	b, err := Inspect(dyn)
	require.NoError(t, err)
	extra := []File{{Src: b.Interp, Dst: b.Interp}}
	for _, lib := range b.Needed {
		src := hostLibrary(t, lib)
		extra = append(extra, File{Src: src, Dst: "/usr/lib/" + lib})
	}
	img, err := Build(Options{Binary: dyn, Extra: extra})
	require.NoError(t, err)
	files := imageFiles(t, img)
	assert.Contains(t, files, strings.TrimPrefix(b.Interp, "/"))
	cfg, err := img.ConfigFile()
	require.NoError(t, err)
	assert.Contains(t, cfg.Config.Env, "LD_LIBRARY_PATH="+ldPath(b))
}

// ldPath is the LD_LIBRARY_PATH of an image holding b's interpreter and
// its libraries under /usr/lib.
func ldPath(b Binary) string {
	dirs := []string{"/usr/lib"}
	if d := filepath.Dir(b.Interp); d != "/usr/lib" {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return strings.Join(dirs, ":")
}

// dynamicBinary returns a dynamically linked executable of this machine.
func dynamicBinary(t *testing.T) string {
	t.Helper()
	dyn, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1) on PATH")
	}
	dyn, err = filepath.EvalSymlinks(dyn)
	require.NoError(t, err)
	if !hasInterp(t, dyn) {
		t.Skipf("%s is statically linked here", dyn)
	}
	return dyn
}

// hostLibrary finds a shared library of this machine by file name.
func hostLibrary(t *testing.T, lib string) string {
	t.Helper()
	for _, dir := range []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"} {
		if _, err := os.Stat(filepath.Join(dir, lib)); err == nil {
			return filepath.Join(dir, lib)
		}
	}
	t.Skipf("%s not found on this machine", lib)
	return ""
}

// hasInterp reports whether the ELF file fn names a program interpreter.
func hasInterp(t *testing.T, fn string) bool {
	f, err := elf.Open(fn)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}

func TestParseFile(t *testing.T) {
	f, err := ParseFile("lib/libonnxruntime.so.1.20.1:/usr/lib/libonnxruntime.so.1")
	require.NoError(t, err)
	assert.Equal(t, File{Src: "lib/libonnxruntime.so.1.20.1", Dst: "/usr/lib/libonnxruntime.so.1"}, f)
	f, err = ParseFile("C:/x:/opt/x")
	require.NoError(t, err)
	assert.Equal(t, "C:/x", f.Src)
	for _, bad := range []string{"nocolon", ":/x", "a:", "a:rel/path", "a:/", "a:/usr/../lib/x"} {
		_, err := ParseFile(bad)
		assert.Error(t, err, bad)
	}
	_, err = ParseFile("a:rel")
	assert.ErrorContains(t, err, "clean absolute path")
}

func TestLdflagsVersion(t *testing.T) {
	for flags, want := range map[string]string{
		"-X main.version=1.0":                 "1.0",
		"-s -w -X=main.version=2.0":           "2.0",
		"-X 'main.version=3.0' -X main.foo=x": "3.0",
		"-X main.other=1":                     "",
		"":                                    "",
	} {
		assert.Equal(t, want, ldflagsVersion(flags), flags)
	}
}
