/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* D-Bus names of cgtier-policyd, shared by the daemon, cgtierctl and tests
 * so that a rename cannot leave one of them behind. */

#define CGTIER_BUS_NAME "org.cgtier.Policy1"
#define CGTIER_BUS_PATH "/org/cgtier/Policy1"
#define CGTIER_BUS_INTERFACE "org.cgtier.Policy1.Manager"

/* Methods of CGTIER_BUS_INTERFACE (signatures in cgtier-policyd(8)). */
#define CGTIER_BUS_METHOD_LIST_CGROUPS "ListCgroups"
#define CGTIER_BUS_METHOD_GET_CGROUP_STATS "GetCgroupStats"
/* Every managed cgroup's GetCgroupStats in one reply: a(sa{st}bta(ut)). */
#define CGTIER_BUS_METHOD_LIST_CGROUP_STATS "ListCgroupStats"
#define CGTIER_BUS_METHOD_GET_TOPOLOGY "GetTopology"
#define CGTIER_BUS_METHOD_EXPLAIN "Explain"
#define CGTIER_BUS_METHOD_VALIDATE "Validate"
#define CGTIER_BUS_METHOD_RELOAD "Reload"

#define CGTIER_BUS_ERROR_INVALID_PATH "org.cgtier.Policy1.Error.InvalidPath"
#define CGTIER_BUS_ERROR_NO_SUCH_CGROUP "org.cgtier.Policy1.Error.NoSuchCgroup"
#define CGTIER_BUS_ERROR_ACCESS_DENIED "org.cgtier.Policy1.Error.AccessDenied"
#define CGTIER_BUS_ERROR_FAILED "org.cgtier.Policy1.Error.Failed"

/* A direct (peer-to-peer) connection has no names to address. */
#define CGTIER_BUS_NAME_OR_NULL(bus) (sd_bus_is_bus_client(bus) ? CGTIER_BUS_NAME : NULL)
