package rv64

// keepCode records that the decode cache table holds p for page pn. The
// table may live outside the Go heap (see reserveTable), where the garbage
// collector does not look: codeLive keeps the pages it points to alive.
// A page dropped from the table stays here until pn is decoded again, so
// this holds at most one page per guest page ever decoded.
func (h *Hart) keepCode(pn uint64, p *codePage) {
	if h.codeLive == nil {
		h.codeLive = map[uint64]*codePage{}
	}
	h.codeLive[pn] = p
}

// Close releases the hart's memory and decode cache. The hart must not run
// again.
func (h *Hart) Close() {
	h.code = nil
	h.decLo, h.decHi = 0, 0
	h.codeWrite(0, h.Mem.Size())
	h.codeLive = nil
	h.Mem.Close()
}
