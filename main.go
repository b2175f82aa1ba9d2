// Command kumeo-desktop is the Kumeo desktop app: the workflow editor, canvas
// and local runner in one window.
//
// Usage:
//
//	kumeo-desktop [workflow.kumeo]
package main

import (
	"context"
	"embed"
	"log"
	"os"
	"strings"
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

	services := app.New(app.Options{
		Emit:      emit,
		Workspace: app.WorkspaceOptions{InitialPath: workflowArg(os.Args[1:])},
	})

	err := wails.Run(&options.App{
		Title:            "Kumeo",
		Width:            1280,
		Height:           860,
		MinWidth:         800,
		MinHeight:        500,
		BackgroundColour: &options.RGBA{R: 250, G: 250, B: 249, A: 255},
		AssetServer:      &assetserver.Options{Assets: assets},
		OnStartup: func(ctx context.Context) {
			windowCtx.Store(&ctx)
		},
		OnShutdown: func(context.Context) {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := services.Shutdown(ctx); err != nil {
				log.Printf("shutdown: %v", err)
			}
		},
		Bind: []any{services.Workspace, services.Runs},
		Linux: &linux.Options{
			Icon:        icon,
			ProgramName: "kumeo",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
}

// workflowArg returns the first argument that is not a flag: the workflow
// file to open on start, or "" for none.
func workflowArg(args []string) string {
	for _, a := range args {
		if a != "" && !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}
