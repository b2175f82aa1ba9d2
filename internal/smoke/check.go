package main

import (
	"fmt"
	"image"
	"math"
	"strings"
)

// What a screenshot of the desktop app must show. The numbers are minimums
// well below what a healthy window gives at 1280x900 (see the test-desktop
// target), and far above what a blank, white or half-rendered window gives.
const (
	minWindowW, minWindowH = 640, 400 // the app's MinWidth/MinHeight are 800x500
	maxDominant            = 0.90     // share of the window one colour may cover
	minColours             = 50       // distinct colours in the window
	minHeaderRowTeal       = 0.50     // share of teal in a title bar row
	minRunBadge            = 200      // sky-blue pixels of the "Running" badge in the title bar
	minCanvasW, minCanvasH = 150, 150 // size of the canvas pane
	minNodeTeal            = 100      // teal pixels (node borders, icons, handles) on the canvas
	maxCanvasRowGap        = 120      // rows of a canvas covered edge to edge by nodes and edges
	minSparkline           = 20       // faint sky-blue pixels of the node metric sparklines
	minEditorInk           = 1500     // text pixels in the editor pane
	minSyntaxHues          = 3        // syntax colours (30-degree hue buckets) in the editor
	minSyntaxHuePixels     = 30       // pixels a syntax colour needs to count
)

// canvasBackgrounds are the canvas colours (--canvas-bg) of the light and the
// dark theme.
var canvasBackgrounds = []rgb{{0xf4, 0xf6, 0xf5}, {0x14, 0x17, 0x18}}

type rgb struct{ r, g, b uint8 }

// hsv returns hue in degrees [0, 360), saturation and value in [0, 1].
func (c rgb) hsv() (h, s, v float64) {
	r, g, b := float64(c.r)/255, float64(c.g)/255, float64(c.b)/255
	mx := math.Max(r, math.Max(g, b))
	mn := math.Min(r, math.Min(g, b))
	v = mx
	if mx == 0 {
		return 0, 0, 0
	}
	d := mx - mn
	s = d / mx
	if d == 0 {
		return 0, s, v
	}
	switch mx {
	case r:
		h = math.Mod((g-b)/d, 6)
	case g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	h *= 60
	if h < 0 {
		h += 360
	}
	return h, s, v
}

func (c rgb) luma() float64 {
	return 0.299*float64(c.r) + 0.587*float64(c.g) + 0.114*float64(c.b)
}

func (c rgb) near(o rgb, tol int) bool {
	d := func(a, b uint8) int {
		if a > b {
			return int(a - b)
		}
		return int(b - a)
	}
	return d(c.r, o.r) <= tol && d(c.g, o.g) <= tol && d(c.b, o.b) <= tol
}

// Pixel classes. Teal covers the primary #00796B (hue 173) and the dark
// theme's #1A9C8C; sky is the "active data" colour #4DBCE9 (hue 197).
func isTeal(c rgb) bool {
	h, s, _ := c.hsv()
	return s >= 0.25 && h >= 160 && h <= 185
}

func isBadgeSky(c rgb) bool {
	h, s, v := c.hsv()
	return s >= 0.3 && v >= 0.6 && h > 185 && h <= 210
}

// isFaintSky also matches the 1.5 px sparkline drawn at the small zoom the
// canvas fits the example at, where it blends into the node background.
func isFaintSky(c rgb) bool {
	h, s, _ := c.hsv()
	return s >= 0.06 && h > 185 && h <= 210
}

// shot is a screenshot as a flat array of colours.
type shot struct {
	w, h int
	px   []rgb
}

func newShot(img image.Image) *shot {
	b := img.Bounds()
	s := &shot{w: b.Dx(), h: b.Dy(), px: make([]rgb, b.Dx()*b.Dy())}
	for y := 0; y < s.h; y++ {
		for x := 0; x < s.w; x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			s.px[y*s.w+x] = rgb{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
		}
	}
	return s
}

func (s *shot) at(x, y int) rgb { return s.px[y*s.w+x] }

func (s *shot) count(r image.Rectangle, f func(rgb) bool) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if f(s.at(x, y)) {
				n++
			}
		}
	}
	return n
}

func (s *shot) histogram(r image.Rectangle) map[rgb]int {
	h := map[rgb]int{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			h[s.at(x, y)]++
		}
	}
	return h
}

func dominant(h map[rgb]int) (rgb, int) {
	var best rgb
	n := -1
	for c, k := range h {
		if k > n || (k == n && c.luma() < best.luma()) {
			best, n = c, k
		}
	}
	return best, n
}

// longestRun returns the longest run [from, to) of indexes in [0, n) for
// which ok holds.
func longestRun(n int, ok func(int) bool) (from, to int) {
	return longestRunGaps(n, 0, ok)
}

// longestRunGaps is longestRun where a run may go on over up to maxGap
// consecutive indexes that fail ok; a run neither starts nor ends on one.
func longestRunGaps(n, maxGap int, ok func(int) bool) (from, to int) {
	start, last := -1, -1
	for i := 0; i <= n; i++ {
		if i < n && ok(i) {
			if start < 0 {
				start = i
			}
			last = i
			continue
		}
		if start >= 0 && (i == n || i-last > maxGap) {
			if last+1-start > to-from {
				from, to = start, last+1
			}
			start = -1
		}
	}
	return from, to
}

// Result is what Analyze found; Problems is empty when the screenshot passes.
type Result struct {
	Window, Header, Canvas, Editor image.Rectangle

	Dominant   float64 // share of the window's most common colour
	Colours    int     // distinct colours in the window
	RunBadge   int     // sky-blue pixels in the title bar
	NodeTeal   int     // teal pixels on the canvas
	Sparkline  int     // faint sky-blue pixels on the canvas
	EditorInk  int     // text pixels in the editor
	SyntaxHues int     // syntax colours in the editor

	Problems []string
}

func (r *Result) OK() bool { return len(r.Problems) == 0 }

func (r *Result) fail(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "window %v: %d colours, most common %.0f%%", r.Window, r.Colours, 100*r.Dominant)
	if !r.Header.Empty() {
		fmt.Fprintf(&b, "; title bar %v: run badge %d px", r.Header, r.RunBadge)
	}
	if !r.Canvas.Empty() {
		fmt.Fprintf(&b, "; canvas %v: node teal %d px, sparklines %d px", r.Canvas, r.NodeTeal, r.Sparkline)
	}
	if !r.Editor.Empty() {
		fmt.Fprintf(&b, "; editor %v: text %d px, %d syntax colours", r.Editor, r.EditorInk, r.SyntaxHues)
	}
	return b.String()
}

// Analyze checks a screenshot of the whole X screen with the app's window on
// it, in its default layout: title bar on top, canvas on the left and text
// editor on the right ("Both" view), with a run going. It checks, in order:
//
//   - the window exists and is not a single colour;
//   - the teal title bar shows the sky-blue "Running" badge;
//   - the canvas pane holds teal node pixels (left borders, icons, handles);
//   - the nodes show live metrics (their sparklines);
//   - the editor pane right of the canvas holds syntax-coloured text.
//
// It stops at the first check that has nothing to look at.
func Analyze(img image.Image) *Result {
	s := newShot(img)
	res := &Result{}

	// The window: everything that is not the black root window of Xvfb.
	black := rgb{}
	win := image.Rectangle{Min: image.Pt(s.w, s.h)}
	for y := 0; y < s.h; y++ {
		for x := 0; x < s.w; x++ {
			if s.at(x, y) != black {
				win.Min.X, win.Min.Y = min(win.Min.X, x), min(win.Min.Y, y)
				win.Max.X, win.Max.Y = max(win.Max.X, x+1), max(win.Max.Y, y+1)
			}
		}
	}
	if win.Empty() {
		res.fail("the screen is a single colour (black): no window")
		return res
	}
	res.Window = win
	hist := s.histogram(win)
	_, n := dominant(hist)
	res.Colours = len(hist)
	res.Dominant = float64(n) / float64(win.Dx()*win.Dy())
	if win.Dx() < minWindowW || win.Dy() < minWindowH {
		res.fail("window %v is smaller than %dx%d", win, minWindowW, minWindowH)
		return res
	}
	if res.Dominant > maxDominant || res.Colours < minColours {
		res.fail("the window is blank: one colour covers %.0f%% of it, %d colours in all (want at most %.0f%%, at least %d)",
			100*res.Dominant, res.Colours, 100*maxDominant, minColours)
		return res
	}

	// The title bar: the rows at the top of the window that are mostly teal.
	tealRow := func(y int) bool {
		return float64(s.count(image.Rect(win.Min.X, y, win.Max.X, y+1), isTeal)) >= minHeaderRowTeal*float64(win.Dx())
	}
	top := win.Min.Y
	for top < win.Min.Y+10 && !tealRow(top) {
		top++
	}
	bottom := top
	for bottom < win.Max.Y && tealRow(bottom) {
		bottom++
	}
	if bottom-top < 16 {
		res.fail("no teal title bar at the top of the window")
		return res
	}
	res.Header = image.Rect(win.Min.X, top, win.Max.X, bottom)
	res.RunBadge = s.count(res.Header, isBadgeSky)
	if res.RunBadge < minRunBadge {
		res.fail("the title bar shows no run badge (%d sky-blue px, want at least %d)", res.RunBadge, minRunBadge)
	}

	// The canvas: the longest run of columns below the title bar that show
	// mostly canvas background, then the rows of those columns that show
	// some of it (nodes may cover most of a row).
	body := image.Rect(win.Min.X, bottom, win.Max.X, win.Max.Y)
	var canvas image.Rectangle
	for _, bg := range canvasBackgrounds {
		isBg := func(c rgb) bool { return c.near(bg, 2) }
		x0, x1 := longestRun(body.Dx(), func(i int) bool {
			x := body.Min.X + i
			return s.count(image.Rect(x, body.Min.Y, x+1, body.Max.Y), isBg)*5 >= body.Dy()*2
		})
		// A row of nodes with the edges between them can hide the
		// background of a few rows across the whole pane.
		y0, y1 := longestRunGaps(body.Dy(), maxCanvasRowGap, func(i int) bool {
			y := body.Min.Y + i
			return s.count(image.Rect(body.Min.X+x0, y, body.Min.X+x1, y+1), isBg)*10 >= x1-x0
		})
		c := image.Rect(body.Min.X+x0, body.Min.Y+y0, body.Min.X+x1, body.Min.Y+y1)
		if c.Dx()*c.Dy() > canvas.Dx()*canvas.Dy() {
			canvas = c
		}
	}
	if canvas.Dx() < minCanvasW || canvas.Dy() < minCanvasH {
		res.fail("no canvas pane (largest canvas-coloured area %v, want at least %dx%d)", canvas, minCanvasW, minCanvasH)
		return res
	}
	res.Canvas = canvas
	res.NodeTeal = s.count(canvas, isTeal)
	if res.NodeTeal < minNodeTeal {
		res.fail("the canvas shows no nodes (%d teal px, want at least %d)", res.NodeTeal, minNodeTeal)
	}
	res.Sparkline = s.count(canvas, isFaintSky)
	if res.Sparkline < minSparkline {
		res.fail("the nodes show no live metrics (%d sparkline px, want at least %d)", res.Sparkline, minSparkline)
	}

	// The editor: right of the canvas (past the splitter), same rows.
	editor := image.Rect(canvas.Max.X+8, canvas.Min.Y, win.Max.X, canvas.Max.Y)
	if editor.Dx() < minCanvasW {
		res.fail("no room for a text editor right of the canvas (%v)", editor)
		return res
	}
	res.Editor = editor
	paper, _ := dominant(s.histogram(editor))
	buckets := map[int]int{}
	res.EditorInk = s.count(editor, func(c rgb) bool {
		if math.Abs(c.luma()-paper.luma()) < 80 {
			return false
		}
		if h, sat, v := c.hsv(); sat >= 0.4 && v >= 0.2 {
			buckets[int(h)/30]++
		}
		return true
	})
	for _, k := range buckets {
		if k >= minSyntaxHuePixels {
			res.SyntaxHues++
		}
	}
	if res.EditorInk < minEditorInk || res.SyntaxHues < minSyntaxHues {
		res.fail("the editor shows no highlighted text (%d text px, %d syntax colours; want at least %d and %d)",
			res.EditorInk, res.SyntaxHues, minEditorInk, minSyntaxHues)
	}
	return res
}
