package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

func serveCommand() command {
	return command{name: "serve", summary: "serve the HTTP API (--demo: a generated city, offline)", run: runServe}
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "serve [flags]")
	cfg, pos, err := loadConfig(e, fs, args, func(c *Config) { c.storeFlags(fs); c.serveFlags(fs) })
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve takes no arguments, got %q", pos)
	}
	log := newLogger(cfg, e.stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	routers := newRouterHolder(a)
	if err := routers.Reload(ctx); err != nil {
		return err
	}
	if err := a.startAnalytics(ctx); err != nil {
		return err
	}
	if ready, _ := routers.Ready(); !ready {
		log.Warn("no boundaries loaded: routing answers 503 until generations are loaded and activated", "jurisdiction", a.j.ID)
	}

	webKey, err := webIntakeKey(ctx, a, time.Now())
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           NewServer(serverDeps{cfg: cfg, log: log, app: a, routers: routers, webIntakeKey: webKey}),
		ReadHeaderTimeout: min(cfg.ReadTimeout, 10*time.Second),
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// The listening address is logged once the socket is bound, so that
	// "--addr 127.0.0.1:0" can be used (tests read it from this line).
	log.Info("listening", "addr", ln.Addr().String(), "jurisdiction", a.j.ID, "config", cfg)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	reloadCtx, stopReload := context.WithCancel(context.Background())
	defer stopReload()
	if cfg.ReloadInterval > 0 {
		go func() {
			t := time.NewTicker(cfg.ReloadInterval)
			defer t.Stop()
			for {
				select {
				case <-reloadCtx.Done():
					return
				case <-t.C:
					if err := routers.ReloadIfChanged(reloadCtx); err != nil && reloadCtx.Err() == nil {
						log.Warn("reloading boundaries failed; the previous index stays in use", "error", err.Error())
					}
				}
			}
		}()
	}

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stopReload()
	log.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: requests still running after %v were cut: %w", cfg.ShutdownTimeout, err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}
