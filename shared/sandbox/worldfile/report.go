package worldfile

import (
	"log/slog"

	"github.com/repolink/repolink/shared/storehealth"
)

// SaveReported writes v to the file name in dir with SaveDir and reports
// the outcome with Report.
func SaveReported(dir, name string, v any, health *storehealth.Monitor, log *slog.Logger) error {
	return Report(dir, SaveDir(dir, name, v), health, log)
}

// Report records err, the outcome of saving a world in dir, in health and
// returns err. The health monitor logs an error that leaves dir unwritable,
// such as a full or read-only file system, and counts its repeats. Report
// logs any other failure, so no failure is logged twice. With a nil
// health, Report logs every failure.
func Report(dir string, err error, health *storehealth.Monitor, log *slog.Logger) error {
	unwritable := health.Record(err)
	if err == nil || unwritable {
		return err
	}
	log.Error("sandbox world save failed", "dir", dir, "error", err)
	return err
}
