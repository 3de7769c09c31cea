package awssim

import (
	"context"
)

// launch starts the VM of instanceID through the launcher and records its
// address. A failed launch leaves the instance running with nothing
// serving, so its health checks fail as they would on a broken VM.
func (s *Server) launch(ctx context.Context, instanceID, userData string) {
	if s.opts.Launcher == nil {
		return
	}
	addr, err := s.opts.Launcher.Launch(ctx, instanceID, userData)
	if err != nil {
		s.log.Error("awssim launch failed", "instance_id", instanceID, "error", err)
		return
	}
	s.vmMu.Lock()
	s.addrs[instanceID] = addr
	s.vmMu.Unlock()
	s.log.Info("awssim vm launched", "instance_id", instanceID, "addr", addr)
}

// relaunch starts the VMs of the instances that are not terminated, so a
// new process serves the world that an earlier one built.
func (s *Server) relaunch(ctx context.Context) {
	s.mu.Lock()
	type pending struct{ id, userData string }
	var todo []pending
	for _, id := range sortedKeys(s.world.Instances) {
		inst := s.world.Instances[id]
		if inst.TerminatedAt == nil {
			todo = append(todo, pending{id, inst.UserData})
		}
	}
	s.mu.Unlock()

	for _, p := range todo {
		s.launch(ctx, p.id, p.userData)
	}
}

// stopVM stops the VM of instanceID if this process launched it.
func (s *Server) stopVM(instanceID string) {
	s.vmMu.Lock()
	_, ok := s.addrs[instanceID]
	delete(s.addrs, instanceID)
	s.vmMu.Unlock()
	if !ok || s.opts.Launcher == nil {
		return
	}
	if err := s.opts.Launcher.Stop(instanceID); err != nil {
		s.log.Error("awssim vm stop failed", "instance_id", instanceID, "error", err)
	}
}

// removeVM stops the VM of instanceID if this process launched it, and
// removes what the VM wrote in any case, because an earlier process may
// have launched it.
func (s *Server) removeVM(instanceID string) {
	s.vmMu.Lock()
	delete(s.addrs, instanceID)
	s.vmMu.Unlock()
	if s.opts.Launcher == nil {
		return
	}
	if err := s.opts.Launcher.Remove(instanceID); err != nil {
		s.log.Error("awssim vm remove failed", "instance_id", instanceID, "error", err)
	}
}

// stopVMs stops every VM this process launched.
func (s *Server) stopVMs() {
	s.vmMu.Lock()
	ids := sortedKeys(s.addrs)
	s.vmMu.Unlock()
	for _, id := range ids {
		s.stopVM(id)
	}
}
