package e2e

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/kumeo/kumeo/dsl/document"
)

// The page's calls and events travel over one WebSocket, /ipc, as they
// travel over one message channel between a Wails window and its Go side:
// a call costs one message each way, not an HTTP request.
//
// Messages from the page:
//
//	{"id": n, "service": "Workspace", "method": "Open", "args": [...]}
//
// Messages to the page:
//
//	{"ready": true}                       once, when events flow
//	{"id": n, "result": value}            or {"id": n, "error": "message"}
//	{"name": "workspace:opened", "data": [...]}   an event

type ipcCall struct {
	ID      int64             `json:"id"`
	Service string            `json:"service"`
	Method  string            `json:"method"`
	Args    []json.RawMessage `json:"args"`
}

type ipcAnswer struct {
	ID     int64   `json:"id"`
	Result any     `json:"result,omitempty"`
	Error  *string `json:"error,omitempty"`
}

var upgrader = websocket.Upgrader{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}

func (s *Server) serveIPC(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered with the reason
	}
	defer conn.Close()
	events := s.subscribe()
	defer s.unsubscribe(events)

	var wmu sync.Mutex
	write := func(b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return conn.WriteMessage(websocket.TextMessage, b)
	}
	if err := write([]byte(`{"ready":true}`)); err != nil {
		return
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case b, ok := <-events:
				if !ok {
					conn.Close()
					return
				}
				if write(b) != nil {
					return
				}
			}
		}
	}()
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var c ipcCall
		if err := json.Unmarshal(msg, &c); err != nil {
			e := "e2e: expected {\"id\", \"service\", \"method\", \"args\"}: " + err.Error()
			b, _ := json.Marshal(ipcAnswer{Error: &e})
			if write(b) != nil {
				return
			}
			continue
		}
		// Each call runs on its own, as each Wails call does: a slow
		// call does not hold up the answers of later ones.
		go func() {
			a := ipcAnswer{ID: c.ID}
			result, _, err := s.invoke(c.Service, c.Method, c.Args)
			if err != nil {
				e := document.WireError(err)
				a.Error = &e
			} else {
				a.Result = result
			}
			b, err := json.Marshal(a)
			if err != nil {
				e := "encode the result: " + err.Error()
				b, _ = json.Marshal(ipcAnswer{ID: c.ID, Error: &e})
			}
			_ = write(b)
		}()
	}
}
