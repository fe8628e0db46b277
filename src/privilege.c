/* privilege.c - least privilege for a server started as root: chroot to
 * the capsule so nothing else on the host can be read, then run as an
 * unprivileged user, and make sure root cannot be taken back. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pollux/log.h"
#include "pollux/privilege.h"
#include "pollux/util.h"

int privilege_drop(const struct config *cfg, char **capsule)
{
	*capsule = NULL;
	if (geteuid() != 0) {
		*capsule = xstrdup(cfg->capsule_dir);
		return 0;
	}
	/* Look the user up while /etc/passwd is still in sight. */
	errno = 0;
	struct passwd *pw = getpwnam(cfg->user);
	if (!pw) {
		log_error("--user %s: no such user", cfg->user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_error("--user %s is root; refusing to serve as root", cfg->user);
		return -1;
	}
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;

	char root[PATH_MAX], caps[PATH_MAX];
	const char *dir = cfg->chroot_dir ? cfg->chroot_dir : cfg->capsule_dir;
	if (!realpath(dir, root) || !realpath(cfg->capsule_dir, caps)) {
		log_error("chroot: %s: %s", dir, strerror(errno));
		return -1;
	}
	size_t n = strlen(root);
	if (strcmp(root, "/") == 0)
		n = 0;
	else if (strncmp(caps, root, n) != 0 || (caps[n] && caps[n] != '/')) {
		log_error("the capsule %s is not inside --chroot %s", caps, root);
		return -1;
	}
	if (chroot(root) < 0 || chdir("/") < 0) {
		log_error("chroot %s: %s", root, strerror(errno));
		return -1;
	}
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		log_error("becoming %s: %s", cfg->user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		log_error("could take root back after dropping it; refusing to run");
		return -1;
	}
	*capsule = xstrdup(caps[n] ? caps + n : "/");
	log_info("chrooted to %s, running as %s", root, cfg->user);
	return 0;
}
