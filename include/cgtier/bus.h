/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* D-Bus names of cgtier-policyd, shared by the daemon, cgtierctl and tests
 * so that a rename cannot leave one of them behind. */

#define CGTIER_BUS_NAME "org.cgtier.Policy1"
#define CGTIER_BUS_PATH "/org/cgtier/Policy1"
#define CGTIER_BUS_INTERFACE "org.cgtier.Policy1.Manager"

#define CGTIER_BUS_ERROR_INVALID_PATH "org.cgtier.Policy1.Error.InvalidPath"
#define CGTIER_BUS_ERROR_NO_SUCH_CGROUP "org.cgtier.Policy1.Error.NoSuchCgroup"
#define CGTIER_BUS_ERROR_ACCESS_DENIED "org.cgtier.Policy1.Error.AccessDenied"
#define CGTIER_BUS_ERROR_FAILED "org.cgtier.Policy1.Error.Failed"

/* A direct (peer-to-peer) connection has no names to address. */
#define CGTIER_BUS_NAME_OR_NULL(bus) (sd_bus_is_bus_client(bus) ? CGTIER_BUS_NAME : NULL)
