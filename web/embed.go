// Package web holds Orrery's UI: the Vite + TypeScript + Preact source in
// src/ and its build in dist/, which is committed so that `go build` needs
// no Node. internal/ui serves Dist.
package web

import "embed"

// Dist is the built UI (web/dist): index.html, favicon.svg and the
// content-hashed files under assets/.
//
//go:embed all:dist
var Dist embed.FS
