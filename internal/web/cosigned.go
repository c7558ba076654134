package web

// ServeCosigned makes /log/checkpoint serve the checkpoint that f returns,
// such as the newest one the rulebook's witnesses cosigned, with their
// cosignature lines after the log's signature (c2sp.org/tlog-cosignature),
// rather than the log's latest. Tiles, entries and proofs still reach to
// the log's latest checkpoint, which covers every one that f returns.
func (s *Server) ServeCosigned(f func() []byte) { s.cosigned = f }
