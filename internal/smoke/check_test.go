package main

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"testing"
)

var (
	black    = color.RGBA{0, 0, 0, 255}
	surface  = color.RGBA{0xfa, 0xfa, 0xf9, 255}
	teal     = color.RGBA{0x00, 0x79, 0x6b, 255}
	sky      = color.RGBA{0x4d, 0xbc, 0xe9, 255}
	faintSky = color.RGBA{0xdb, 0xf0, 0xf9, 255}
	canvasBg = color.RGBA{0xf4, 0xf6, 0xf5, 255}
	white    = color.RGBA{0xff, 0xff, 0xff, 255}
	ink      = color.RGBA{0x1f, 0x25, 0x23, 255}
	syntax   = []color.RGBA{{0x0a, 0x7a, 0x3e, 255}, {0x15, 0x65, 0xc0, 255}, {0x6a, 0x3d, 0x9a, 255}, {0xa1, 0x4f, 0x00, 255}}
)

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

type layout struct {
	badge, nodes, metrics, text bool
	// band draws a grey edge across the whole canvas between the nodes'
	// title and their metrics, so no row there shows the background.
	band bool
}

// screen draws a 1280x900 screen with an 1280x860 window in the app's layout:
// title bar, sidebar, canvas with four nodes, editor, bottom panel.
func screen(l layout) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 900))
	fill(img, img.Bounds(), black)
	fill(img, image.Rect(0, 20, 1280, 880), surface)
	fill(img, image.Rect(0, 20, 1280, 55), teal)
	if l.badge {
		fill(img, image.Rect(745, 28, 810, 46), sky)
	}
	// Sidebar with some grey text in 60 shades, so the window has colours.
	for i := 0; i < 60; i++ {
		g := uint8(60 + 2*i)
		fill(img, image.Rect(10, 70+8*i, 150, 75+8*i), color.RGBA{g, g, g, 255})
	}
	canvas := image.Rect(305, 55, 832, 655)
	fill(img, canvas, canvasBg)
	if l.nodes {
		for i := 0; i < 4; i++ {
			x := 330 + 110*i
			fill(img, image.Rect(x, 350, x+70, 385), white)
			fill(img, image.Rect(x, 350, x+2, 385), teal)
			if l.metrics {
				fill(img, image.Rect(x+50, 380, x+66, 382), faintSky)
			}
		}
	}
	if l.band {
		fill(img, image.Rect(305, 366, 832, 372), color.RGBA{0x9a, 0xa3, 0xa0, 255})
	}
	fill(img, image.Rect(832, 55, 838, 655), color.RGBA{0xe2, 0xe4, 0xe3, 255})
	fill(img, image.Rect(838, 55, 1280, 655), white)
	if l.text {
		for line := 0; line < 30; line++ {
			y := 62 + 19*line
			fill(img, image.Rect(900, y, 1000, y+10), ink)
			c := syntax[line%len(syntax)]
			fill(img, image.Rect(1010, y, 1060, y+10), c)
		}
	}
	fill(img, image.Rect(170, 655, 1280, 880), white)
	return img
}

func TestAnalyzeWorkingWindow(t *testing.T) {
	res := Analyze(screen(layout{badge: true, nodes: true, metrics: true, text: true}))
	if !res.OK() {
		t.Fatalf("want a pass, got %v: %v", res, res.Problems)
	}
	if want := image.Rect(305, 55, 832, 655); res.Canvas != want {
		t.Errorf("canvas %v, want %v", res.Canvas, want)
	}
	if want := image.Rect(0, 20, 1280, 55); res.Header != want {
		t.Errorf("title bar %v, want %v", res.Header, want)
	}
}

func TestAnalyzeFails(t *testing.T) {
	blackScreen := image.NewRGBA(image.Rect(0, 0, 1280, 900))
	fill(blackScreen, blackScreen.Bounds(), black)
	blankWindow := image.NewRGBA(image.Rect(0, 0, 1280, 900))
	fill(blankWindow, blankWindow.Bounds(), black)
	fill(blankWindow, image.Rect(0, 20, 1280, 880), surface)
	tiny := image.NewRGBA(image.Rect(0, 0, 1280, 900))
	fill(tiny, image.Rect(0, 0, 300, 200), teal)

	for _, tc := range []struct {
		name string
		img  image.Image
		want []string
	}{
		{"no window", blackScreen, []string{"single colour"}},
		{"blank window", blankWindow, []string{"window is blank"}},
		{"small window", tiny, []string{"smaller than"}},
		{"no nodes", screen(layout{badge: true, text: true}), []string{"no nodes", "no live metrics"}},
		{"no metrics", screen(layout{badge: true, nodes: true, text: true}), []string{"no live metrics"}},
		{"not running", screen(layout{nodes: true, metrics: true, text: true}), []string{"no run badge"}},
		{"empty editor", screen(layout{badge: true, nodes: true, metrics: true}), []string{"no highlighted text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Analyze(tc.img)
			if len(res.Problems) != len(tc.want) {
				t.Fatalf("problems %q, want %d matching %q", res.Problems, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(res.Problems[i], w) {
					t.Errorf("problem %q does not mention %q", res.Problems[i], w)
				}
			}
		})
	}
}

// A row where nodes and edges cover the canvas from edge to edge does not cut
// the canvas in two (the metrics under it were missed that way).
func TestAnalyzeCanvasCrossedByEdges(t *testing.T) {
	res := Analyze(screen(layout{badge: true, nodes: true, metrics: true, text: true, band: true}))
	if !res.OK() {
		t.Fatalf("want a pass, got %v: %v", res, res.Problems)
	}
	if want := image.Rect(305, 55, 832, 655); res.Canvas != want {
		t.Errorf("canvas %v, want %v", res.Canvas, want)
	}
}

func TestLongestRun(t *testing.T) {
	ok := func(i int) bool { return i == 1 || i == 2 || (i >= 5 && i < 9) }
	if from, to := longestRun(10, ok); from != 5 || to != 9 {
		t.Errorf("longestRun = %d, %d; want 5, 9", from, to)
	}
	if from, to := longestRun(3, func(int) bool { return true }); from != 0 || to != 3 {
		t.Errorf("longestRun(all) = %d, %d; want 0, 3", from, to)
	}
	// 1-2 and 5-8 join over a gap of two; a longer gap splits them.
	if from, to := longestRunGaps(10, 2, ok); from != 1 || to != 9 {
		t.Errorf("longestRunGaps(2) = %d, %d; want 1, 9", from, to)
	}
	if from, to := longestRunGaps(10, 1, ok); from != 5 || to != 9 {
		t.Errorf("longestRunGaps(1) = %d, %d; want 5, 9", from, to)
	}
}
