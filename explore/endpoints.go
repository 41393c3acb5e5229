package explore

import "github.com/qoslab/qoslab/model"

// endpoints interns the endpoint states of one search and memoizes their
// steps.
//
// A closed system has far fewer distinct endpoint states than system
// states: the same sender state recurs with every arrangement of the
// network, the timers and the other endpoint. So each distinct endpoint
// state (by its AppendKey encoding, which the Endpoint contract makes a
// canonical encoding of the whole state) is stored once, immutable, under a
// small id; a system state holds the two ids, and its key encodes them
// instead of the endpoints. Endpoints are pure functions of their state and
// input, so the outcome of a step (the next endpoint state and the outputs)
// is remembered per (id, input): in steady state a transition neither
// copies, steps nor encodes an endpoint, and the search visits exactly the
// states it would visit by stepping copies.
type endpoints struct {
	msgs    int
	side    [2]epSide
	keyBuf  []byte
	out     []model.Output
	scratch [2]model.Endpoint
	outs    slab[model.Output] // remembered outputs, immutable
}

type epSide struct {
	ids    map[string]uint32 // AppendKey encoding -> id
	eps    []model.Endpoint  // by id; never changed after interning
	stored []uint16          // by id: bit m-1 set when the endpoint stores message m
	steps  map[stepKey]stepResult
}

// stepKey is an endpoint id and every field of an input that an endpoint
// may read. A message is its Ref: within one workload the Ref determines
// topic and payload (as in the state key's packet encoding).
type stepKey struct {
	ep    uint32
	timer model.Timer
	ref   uint32 // InPublish: Msg.Ref; InPacket: Packet.Msg.Ref
	id    uint16
	kind  model.InKind
	typ   model.PacketType
	msgID uint64
	flags uint32 // qos, reason, dup, session present, clean start
}

type stepResult struct {
	to  uint32
	out []model.Output // shared and immutable
}

func newEndpoints(msgs int) *endpoints {
	c := &endpoints{msgs: msgs}
	for side := range c.side {
		c.side[side] = epSide{ids: map[string]uint32{}, steps: map[stepKey]stepResult{}}
	}
	return c
}

// intern returns the id of e's state, storing e (which the caller gives up)
// if the state is new.
func (c *endpoints) intern(side int, e model.Endpoint) uint32 {
	t := &c.side[side]
	c.keyBuf = e.AppendKey(c.keyBuf[:0])
	if id, ok := t.ids[string(c.keyBuf)]; ok {
		return id
	}
	id := uint32(len(t.eps))
	t.ids[string(c.keyBuf)] = id
	t.eps = append(t.eps, e)
	var stored uint16
	for m := 1; m <= c.msgs; m++ {
		if stores(e, m) {
			stored |= 1 << (m - 1)
		}
	}
	t.stored = append(t.stored, stored)
	return id
}

// get returns the endpoint with id (shared: do not step or change it).
func (c *endpoints) get(side int, id uint32) model.Endpoint { return c.side[side].eps[id] }

// stores reports whether endpoint id of side keeps message ref (1-based)
// for a later delivery.
func (c *endpoints) stores(side int, id uint32, ref int) bool {
	return c.side[side].stored[id]&(1<<(ref-1)) != 0
}

func keyOf(id uint32, in *model.Input) stepKey {
	k := stepKey{ep: id, kind: in.Kind}
	switch in.Kind {
	case model.InPublish:
		k.ref = in.Msg.Ref
	case model.InPacket:
		p := &in.Packet
		k.ref, k.id, k.typ, k.msgID = p.Msg.Ref, p.ID, p.Type, p.MsgID
		k.flags = uint32(p.QoS) | uint32(p.Reason)<<8
		if p.Dup {
			k.flags |= 1 << 16
		}
		if p.SessionPresent {
			k.flags |= 1 << 17
		}
		if p.CleanStart {
			k.flags |= 1 << 18
		}
	case model.InTimer:
		k.timer = in.Timer
	}
	return k
}

// step returns the outcome of feeding in to endpoint id of side.
func (c *endpoints) step(side int, id uint32, in *model.Input) stepResult {
	t := &c.side[side]
	k := keyOf(id, in)
	if r, ok := t.steps[k]; ok {
		return r
	}
	e := c.private(side, t.eps[id])
	c.out = e.Step(*in, c.out[:0])
	r := stepResult{out: c.outs.copy(c.out)}
	n := len(t.eps)
	r.to = c.intern(side, e)
	if int(r.to) == n {
		c.scratch[side] = nil // e is kept now
	}
	t.steps[k] = r
	return r
}

// private returns a copy of e to step: the scratch copy where the endpoint
// supports it (model.Copier), else a clone.
func (c *endpoints) private(side int, e model.Endpoint) model.Endpoint {
	if c.scratch[side] == nil {
		c.scratch[side] = e.Clone()
		return c.scratch[side]
	}
	if cp, ok := c.scratch[side].(model.Copier); ok && cp.CopyFrom(e) {
		return c.scratch[side]
	}
	c.scratch[side] = e.Clone()
	return c.scratch[side]
}
