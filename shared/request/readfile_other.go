//go:build !unix

package request

// openNonblock is 0 where the platform has no O_NONBLOCK flag for open.
// On Windows, os.Stat reports named pipes and devices as irregular files,
// so OpenRegular rejects them before it opens them.
const openNonblock = 0
