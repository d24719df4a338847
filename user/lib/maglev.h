/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * This file holds the Maglev lookup-table builder (Eisenbud et al., NSDI
 * 2016, section 3.4) with weights. It is pure C: no BPF, no I/O, so every
 * node builds the same table from the same input and the tests need no root.
 */
#ifndef XLB_USER_MAGLEV_H
#define XLB_USER_MAGLEV_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct xlb_maglev_backend {
	__u32 id; /* stable backend id, never 0 */
	__u32 weight; /* relative share of the table; 0 owns no slot */
};

/**
 * xlb_maglev_build() - fill a Maglev lookup table with backend ids
 * @bes: the backends, in any order (the table does not depend on it)
 * @n: number of entries in @bes, at most @m
 * @seed: hash seed; the same on every node (struct xlb_config.hash_seed)
 * @m: table size, a prime in 3 .. XLB_MAGLEV_MAX_SIZE
 * @table: m entries to fill
 *
 * Each backend owns a share of the slots proportional to its weight. When no
 * backend has a weight above 0 (or @n is 0) every entry is 0, "no backend".
 *
 * Return: 0; -EINVAL for a bad @m, a backend id 0, a duplicate id, @n > @m or
 * a NULL pointer; -ENOMEM when scratch memory cannot be had. On error @table
 * may have been partly written.
 */
int xlb_maglev_build(const struct xlb_maglev_backend *bes, size_t n,
		     __u32 seed, __u32 m, __u32 *table);

/*
 * The start and stride of backend @id's preference list in a table of size
 * @m: its j-th preferred slot is (offset + j * skip) % m. Exposed so tests
 * and tools can reproduce a table; changing it re-steers every flow on a
 * rolling upgrade, so it is part of the cross-node contract.
 */
void xlb_maglev_perm(__u32 id, __u32 seed, __u32 m, __u32 *offset,
		     __u32 *skip);

/* Deterministic primality test for every 32-bit @n. */
bool xlb_is_prime(__u32 n);

#endif /* XLB_USER_MAGLEV_H */
