package web

import (
	"embed"
)

//go:embed templates
var templates embed.FS
