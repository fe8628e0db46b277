/* privilege.h - started as root, pollux gives root up once its ports are
 * bound and its key is loaded. */
#ifndef POLLUX_PRIVILEGE_H
#define POLLUX_PRIVILEGE_H

#include "config.h"

/* As root: chroot to cfg->chroot_dir (default: the capsule), then become
 * cfg->user. *capsule is set to the capsule's path as seen from inside
 * (malloc'd). Not root: nothing to do, *capsule is a copy of the path.
 * Returns 0, or -1 after logging why (the caller must not serve). */
int privilege_drop(const struct config *cfg, char **capsule);

#endif
