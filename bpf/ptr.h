/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the packet pointers every XDP program of xlb starts
 * from. They are re-read after each bpf_xdp_adjust_head(), which
 * invalidates the old ones, so they are functions of the context rather
 * than values kept in a struct.
 */
#ifndef XLB_BPF_PTR_H
#define XLB_BPF_PTR_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __always_inline void *xlb_data(struct xdp_md *ctx)
{
	return (void *)(long)ctx->data;
}

static __always_inline void *xlb_data_end(struct xdp_md *ctx)
{
	return (void *)(long)ctx->data_end;
}

#endif /* XLB_BPF_PTR_H */
