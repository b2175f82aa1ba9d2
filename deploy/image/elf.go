package image

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrNotStatic reports a binary the runtime image cannot run: not a Linux
// ELF executable, or one that needs a dynamic loader and C library.
var ErrNotStatic = errors.New("not a static Linux executable")

// Binary describes the kumeo executable an image is built from.
type Binary struct {
	// Path is the file the binary was read from.
	Path string
	// Arch is the Go name of the binary's CPU architecture (amd64, arm64, ...).
	Arch string
	// Version is the version the binary was built with: the value of
	// -ldflags "-X main.version=..." if any (Go records -ldflags only
	// without -trimpath), else its module version
	// unless that is "(devel)"; empty when unknown.
	Version string
	// Revision is the VCS revision recorded in the binary; empty when unknown.
	Revision string
}

// elfArch maps ELF machines to Go architecture names.
var elfArch = map[elf.Machine]string{
	elf.EM_X86_64:  "amd64",
	elf.EM_AARCH64: "arm64",
	elf.EM_386:     "386",
	elf.EM_ARM:     "arm",
	elf.EM_PPC64:   "ppc64le",
	elf.EM_S390:    "s390x",
	elf.EM_RISCV:   "riscv64",
}

// Inspect checks that path is a statically linked Linux ELF executable,
// the only kind the runtime image can run (it has no dynamic loader and no
// C library), and reads its architecture and the version and revision
// recorded in it. A binary that is not one gives an error wrapping
// ErrNotStatic that says why and how to build one.
func Inspect(path string) (Binary, error) {
	f, err := elf.Open(path)
	if err != nil {
		if _, statErr := os.Stat(path); statErr != nil {
			return Binary{}, fmt.Errorf("binary: %w", statErr)
		}
		return Binary{}, fmt.Errorf("%s: %w: not an ELF file (%v); build it with CGO_ENABLED=0 GOOS=linux go build ./cmd/kumeo", path, ErrNotStatic, err)
	}
	defer f.Close()
	if err := checkStatic(path, f); err != nil {
		return Binary{}, err
	}
	b := Binary{Path: path, Arch: elfArch[f.Machine]}
	if b.Arch == "" || (b.Arch == "ppc64le" && f.Data != elf.ELFDATA2LSB) {
		return Binary{}, fmt.Errorf("%s: %w: unsupported machine %v", path, ErrNotStatic, f.Machine)
	}
	readBuildInfo(&b)
	return b, nil
}

// checkStatic refuses ELF files that are not executables for Linux or that
// need a program interpreter or shared libraries.
func checkStatic(path string, f *elf.File) error {
	if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		return fmt.Errorf("%s: %w: built for OS ABI %v, want Linux; build it with GOOS=linux", path, ErrNotStatic, f.OSABI)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("%s: %w: ELF type %v is not an executable", path, ErrNotStatic, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		interp := make([]byte, p.Filesz)
		if _, err := p.ReadAt(interp, 0); err != nil {
			return fmt.Errorf("%s: read program interpreter: %w", path, err)
		}
		return fmt.Errorf("%s: %w: it is dynamically linked (program interpreter %s), and the runtime image has no dynamic loader or C library to run it; build it with CGO_ENABLED=0 GOOS=linux go build ./cmd/kumeo (make cli)",
			path, ErrNotStatic, strings.TrimRight(string(interp), "\x00"))
	}
	libs, err := f.ImportedLibraries()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return fmt.Errorf("%s: read dynamic section: %w", path, err)
	}
	if len(libs) > 0 {
		return fmt.Errorf("%s: %w: it needs shared libraries %s that the runtime image does not have; build it with CGO_ENABLED=0 GOOS=linux go build ./cmd/kumeo (make cli)",
			path, ErrNotStatic, strings.Join(libs, ", "))
	}
	if f.Type == elf.ET_DYN && f.Entry == 0 {
		return fmt.Errorf("%s: %w: a shared library (no entry point), not an executable", path, ErrNotStatic)
	}
	return nil
}

// readBuildInfo fills the version and revision of b from the Go build
// information embedded in the binary, if it has any.
func readBuildInfo(b *Binary) {
	info, err := buildinfo.ReadFile(b.Path)
	if err != nil {
		return
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		b.Version = v
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "-ldflags":
			if v := ldflagsVersion(s.Value); v != "" {
				b.Version = v
			}
		}
	}
}

// ldflagsVersion returns the value set with -X main.version=V in a
// -ldflags string, or "".
func ldflagsVersion(flags string) string {
	fields := strings.Fields(flags)
	for i, f := range fields {
		var v string
		switch {
		case f == "-X" && i+1 < len(fields):
			v = fields[i+1]
		case strings.HasPrefix(f, "-X="):
			v = strings.TrimPrefix(f, "-X=")
		default:
			continue
		}
		if after, ok := strings.CutPrefix(strings.Trim(v, `'"`), "main.version="); ok {
			return after
		}
	}
	return ""
}
