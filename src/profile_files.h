/* profile_files.h - private to libautotune: the search path's seam for
 * tests, which cannot place a file at the configured system path. */
#ifndef AT_PROFILE_FILES_H
#define AT_PROFILE_FILES_H

#include "autotune.h"

/* at_profile_files_find with the system file and the default site
 * directory given (the library passes the configured ones); the
 * environment is read as there. */
at_status at__profile_files_search(const char *system_file,
                                   const char *site_dir,
                                   at_profile_files **out, at_error *err);

#endif /* AT_PROFILE_FILES_H */
