/*
 * names.h - Azure naming rules, checked offline so a bad name fails in
 * validate, at the line that holds it, instead of minutes into an apply.
 */
#ifndef AZAPPLY_NAMES_H
#define AZAPPLY_NAMES_H

#include <azapply/provider.h>

/* Checks `name` against the kind's naming rule (length, characters).
 * Returns true when valid; otherwise false with *why set to a message the
 * caller frees, naming the rule. */
bool az_name_valid(const az_kind *kind, const char *name, char **why);

/* Frees the compiled patterns (for leak-free test runs). */
void az_names_release(void);

#endif
