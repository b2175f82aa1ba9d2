package image

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path"
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
	// Interp is the program interpreter (dynamic loader) the binary names;
	// empty for a static binary.
	Interp string
	// Needed lists the shared libraries the binary needs (DT_NEEDED).
	Needed []string
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

// Inspect reads the Linux ELF executable at path: its architecture, the
// program interpreter and shared libraries it needs (none for a static
// binary), and the version and revision recorded in it. A file that is not
// a Linux executable gives an error wrapping ErrNotStatic.
func Inspect(path string) (Binary, error) {
	f, err := elf.Open(path)
	if err != nil {
		if _, statErr := os.Stat(path); statErr != nil {
			return Binary{}, fmt.Errorf("binary: %w", statErr)
		}
		return Binary{}, fmt.Errorf("%s: %w: not an ELF file (%v); build it with CGO_ENABLED=0 GOOS=linux go build ./cmd/kumeo", path, ErrNotStatic, err)
	}
	defer f.Close()
	if err := checkExecutable(path, f); err != nil {
		return Binary{}, err
	}
	b := Binary{Path: path, Arch: elfArch[f.Machine]}
	if b.Arch == "" || (b.Arch == "ppc64le" && f.Data != elf.ELFDATA2LSB) {
		return Binary{}, fmt.Errorf("%s: %w: unsupported machine %v", path, ErrNotStatic, f.Machine)
	}
	if b.Interp, err = interpreter(f); err != nil {
		return Binary{}, fmt.Errorf("%s: read program interpreter: %w", path, err)
	}
	b.Needed, err = f.ImportedLibraries()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return Binary{}, fmt.Errorf("%s: read dynamic section: %w", path, err)
	}
	readBuildInfo(&b)
	return b, nil
}

// checkExecutable refuses ELF files that are not executables for Linux.
func checkExecutable(path string, f *elf.File) error {
	if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		return fmt.Errorf("%s: %w: built for OS ABI %v, want Linux; build it with GOOS=linux", path, ErrNotStatic, f.OSABI)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("%s: %w: ELF type %v is not an executable", path, ErrNotStatic, f.Type)
	}
	if f.Type == elf.ET_DYN && f.Entry == 0 {
		return fmt.Errorf("%s: %w: a shared library (no entry point), not an executable", path, ErrNotStatic)
	}
	return nil
}

// interpreter returns the program interpreter an ELF file names, or "".
func interpreter(f *elf.File) (string, error) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", err
			}
			return strings.TrimRight(string(b), "\x00"), nil
		}
	}
	return "", nil
}

// Static reports whether the binary needs neither a program interpreter
// nor shared libraries.
func (b Binary) Static() bool { return b.Interp == "" && len(b.Needed) == 0 }

// checkRuntime refuses a binary the image cannot run: a dynamically linked
// one runs only if the extra files hold its program interpreter (at the
// path it names) and every library it needs (by file name; their
// directories are on LD_LIBRARY_PATH). Libraries those need in turn are
// not checked.
func (b Binary) checkRuntime(extra []File) error {
	if b.Static() {
		return nil
	}
	dsts, names := map[string]bool{}, map[string]bool{}
	for _, f := range extra {
		dsts[f.Dst] = true
		names[path.Base(f.Dst)] = true
	}
	var missing []string
	if b.Interp != "" && !dsts[b.Interp] {
		missing = append(missing, "program interpreter "+b.Interp)
	}
	for _, lib := range b.Needed {
		if !names[lib] {
			missing = append(missing, lib)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w: it is dynamically linked (needs %s), and the runtime image has no dynamic loader or C library to run it; build it with CGO_ENABLED=0 GOOS=linux go build ./cmd/kumeo (make cli), or add what it needs with extra files (--extra SRC:DST)",
		b.Path, ErrNotStatic, strings.Join(missing, ", "))
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
