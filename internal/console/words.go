package console

import "github.com/naive-oss/naive/internal/hints"

// inConsoleWords rewrites a hint, written in the REST API's words, for a
// human in the console: the page or button that does it.
func inConsoleWords(hint string) string { return hints.For(hints.Console, hint) }
