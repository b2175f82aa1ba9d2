// Command kumeo-desktop is the Kumeo desktop app: the workflow editor, canvas
// and local runner in one window.
//
// Usage:
//
//	kumeo-desktop [--run] [--input events.jsonl] [workflow.kumeo]
//
// With --run the workflow starts on the embedded engine as soon as the
// window is up, and --input feeds it a JSON Lines file.
package main

import (
	"context"
	"embed"
	"flag"
	"log"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/kumeo/kumeo/app"
)

//go:embed all:frontend/dist
var assets embed.FS

//go:embed build/appicon.png
var icon []byte

func main() {
	// The window context exists only once Wails has started; until then
	// events have nowhere to go and are dropped.
	var windowCtx atomic.Pointer[context.Context]
	emit := func(name string, data ...any) {
		if ctx := windowCtx.Load(); ctx != nil {
			runtime.EventsEmit(*ctx, name, data...)
		}
	}

	fs := flag.NewFlagSet("kumeo-desktop", flag.ExitOnError)
	runNow := fs.Bool("run", false, "start the workflow on the embedded engine when the window opens")
	input := fs.String("input", "", "with --run, feed this JSON Lines file to the workflow's first source")
	fs.Parse(os.Args[1:])
	path := fs.Arg(0)

	services := app.New(app.Options{
		Emit:      emit,
		Workspace: app.WorkspaceOptions{InitialPath: path},
	})
	var stopOnce sync.Once
	shutdown := func() {
		stopOnce.Do(func() {
			windowCtx.Store(nil)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := services.Shutdown(ctx); err != nil {
				log.Printf("shutdown: %v", err)
			}
		})
	}

	err := wails.Run(&options.App{
		Title:            "Kumeo",
		Width:            1280,
		Height:           860,
		MinWidth:         800,
		MinHeight:        500,
		BackgroundColour: &options.RGBA{R: 250, G: 250, B: 249, A: 255},
		AssetServer:      &assetserver.Options{Assets: assets},
		ErrorFormatter:   app.FormatError,
		OnStartup: func(ctx context.Context) {
			windowCtx.Store(&ctx)
			if *runNow && path != "" {
				go autorun(services, path, *input)
			}
		},
		// Runs, watchers and their events stop while the window still
		// exists: an event sent to a destroyed web view is an error in
		// WebKit. OnShutdown covers the ways out that skip OnBeforeClose
		// (a signal, the runtime's Quit); a second Shutdown does nothing.
		OnBeforeClose: func(context.Context) bool {
			shutdown()
			return false
		},
		OnShutdown: func(context.Context) {
			shutdown()
		},
		Bind: []any{services.Workspace, services.Runs, services.Deploy},
		Linux: &linux.Options{
			Icon:        icon,
			ProgramName: "kumeo",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
}

// autorun starts the workflow and feeds it the input file; the window
// shows the run like one started from its Run button.
func autorun(services *app.App, path, input string) {
	if _, err := services.Workspace.Open(path); err != nil {
		log.Printf("run %s: %v", path, err)
		return
	}
	info, err := services.Runs.Start(path)
	if err != nil {
		log.Printf("run %s: %v", path, err)
		return
	}
	if input == "" {
		return
	}
	// Metrics carry totals, so the window shows the whole run even if it
	// subscribes after the first events.
	res, err := services.Runs.Feed(info.ID, "", input)
	if err != nil {
		log.Printf("run %s: %v", path, err)
	}
	log.Printf("run %s: fed %d events from %s", info.ID, res.Events, input)
}
