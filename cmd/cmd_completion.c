/*
 * cmd_completion.c - `azapply completion bash|zsh|fish`: shell completion
 * written from the command table.
 *
 * Every command, option, short name and set of choices comes from
 * az_commands[] and each command's option table as this binary has them,
 * so the scripts cannot fall behind the commands (the way a hand-written
 * one does the first time an option is added). What a positional argument
 * is, is read from the usage line: DIR completes directories, PLANFILE
 * files, COMMAND the commands, SHELL the shells.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static const char *const SHELLS[] = {"bash", "zsh", "fish", NULL};

typedef enum positional {
	POS_NONE,     /* no positional, or free text (an address, an id) */
	POS_DIR,      /* [DIR] */
	POS_FILE,     /* [DIR | PLANFILE] */
	POS_COMMAND,  /* help COMMAND */
	POS_SHELL,    /* completion SHELL */
} positional;

/* What the command's first positional argument is, from its usage line
 * ("azapply NAME [DIR] ..."). */
static positional positional_of(const az_command *cmd)
{
	if (!cmd->max_positional)
		return POS_NONE;
	const char *rest = cmd->usage + strlen("azapply ") + strlen(cmd->name);
	while (*rest == ' ' || *rest == '[')
		rest++;
	if (strncmp(rest, "DIR | PLANFILE", 14) == 0)
		return POS_FILE;
	if (strncmp(rest, "DIR", 3) == 0)
		return POS_DIR;
	if (strncmp(rest, "COMMAND", 7) == 0)
		return POS_COMMAND;
	if (strncmp(rest, "bash|zsh|fish", 13) == 0)
		return POS_SHELL;
	return POS_NONE;
}

/* Whether an option's value is a path. */
static bool takes_path(const az_option *o)
{
	return o->arg && (strstr(o->arg, "FILE") || strstr(o->arg, "PATH") || strstr(o->arg, "DIR"));
}

static void words_of_commands(az_buf *b)
{
	for (size_t i = 0; az_commands[i]; i++)
		az_buf_printf(b, "%s%s", i ? " " : "", az_commands[i]->name);
}

/* Each option of the command, then the global ones. */
#define FOR_EACH_OPTION(cmd, o)                                                                \
	for (int _pass = 0; _pass < 2; _pass++)                                                 \
		for (const az_option *o = _pass ? az_global_options : (cmd)->options; o && o->name; \
		     o++)

static void choices_words(az_buf *b, const char *const *choices)
{
	for (size_t i = 0; choices[i]; i++)
		az_buf_printf(b, "%s%s", i ? " " : "", choices[i]);
}

/* ---------------------------------------------------------------------
 * bash
 */
static void bash_positional(az_buf *b, positional p)
{
	switch (p) {
	case POS_DIR: az_buf_puts(b, "COMPREPLY=($(compgen -d -- \"$cur\"))"); break;
	case POS_FILE: az_buf_puts(b, "COMPREPLY=($(compgen -f -- \"$cur\"))"); break;
	case POS_COMMAND:
		az_buf_puts(b, "COMPREPLY=($(compgen -W \"");
		words_of_commands(b);
		az_buf_puts(b, "\" -- \"$cur\"))");
		break;
	case POS_SHELL:
		az_buf_puts(b, "COMPREPLY=($(compgen -W \"");
		choices_words(b, SHELLS);
		az_buf_puts(b, "\" -- \"$cur\"))");
		break;
	case POS_NONE: az_buf_puts(b, "COMPREPLY=()"); break;
	}
}

static void bash_script(az_buf *b)
{
	az_buf_puts(b, "# bash completion for azapply, written by `azapply completion bash` from its\n"
		       "# command table. Load it with: source <(azapply completion bash)\n"
		       "_azapply() {\n"
		       "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
		       "    local cmd=\"\" i\n"
		       "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
		       "        case \"${COMP_WORDS[i]}\" in\n"
		       "        -*) ;;\n"
		       "        *) cmd=\"${COMP_WORDS[i]}\"; break ;;\n"
		       "        esac\n"
		       "    done\n"
		       "    if [[ -z \"$cmd\" ]]; then\n"
		       "        COMPREPLY=($(compgen -W \"");
	words_of_commands(b);
	az_buf_puts(b, " --version --help\" -- \"$cur\"))\n"
		       "        return\n"
		       "    fi\n"
		       "    case \"$cmd\" in\n");
	for (size_t i = 0; az_commands[i]; i++) {
		const az_command *cmd = az_commands[i];
		az_buf_printf(b, "    %s)\n        case \"$prev\" in\n", cmd->name);
		FOR_EACH_OPTION(cmd, o) {
			if (!o->arg)
				continue;
			az_buf_printf(b, "        --%s", o->name);
			if (o->short_name)
				az_buf_printf(b, "|-%c", o->short_name);
			if (o->choices) {
				az_buf_puts(b, ") COMPREPLY=($(compgen -W \"");
				choices_words(b, o->choices);
				az_buf_puts(b, "\" -- \"$cur\")); return ;;\n");
			} else if (takes_path(o)) {
				az_buf_puts(b, ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
			} else {
				az_buf_puts(b, ") COMPREPLY=(); return ;;\n");
			}
		}
		az_buf_puts(b, "        esac\n        if [[ \"$cur\" == -* ]]; then\n"
			       "            COMPREPLY=($(compgen -W \"");
		bool first = true;
		FOR_EACH_OPTION(cmd, o) {
			az_buf_printf(b, "%s--%s", first ? "" : " ", o->name);
			first = false;
		}
		az_buf_puts(b, "\" -- \"$cur\"))\n        else\n            ");
		bash_positional(b, positional_of(cmd));
		az_buf_puts(b, "\n        fi\n        ;;\n");
	}
	az_buf_puts(b, "    esac\n"
		       "}\n"
		       "complete -o filenames -F _azapply azapply\n");
}

/* ---------------------------------------------------------------------
 * zsh
 */
/* `s` inside a single-quoted zsh word that _arguments or _describe reads:
 * brackets and colons are theirs, quotes the shell's. */
static void zsh_text(az_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\'')
			az_buf_puts(b, "'\\''");
		else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
			az_buf_printf(b, "\\%c", *s);
		else
			az_buf_putc(b, *s);
	}
}

static void zsh_script(az_buf *b)
{
	az_buf_puts(b, "#compdef azapply\n"
		       "# zsh completion for azapply, written by `azapply completion zsh` from its\n"
		       "# command table. Load it with: source <(azapply completion zsh)\n"
		       "_azapply() {\n"
		       "    local -a commands\n"
		       "    commands=(\n");
	for (size_t i = 0; az_commands[i]; i++) {
		az_buf_printf(b, "        '%s:", az_commands[i]->name);
		zsh_text(b, az_commands[i]->summary);
		az_buf_puts(b, "'\n");
	}
	az_buf_puts(b, "    )\n"
		       "    if (( CURRENT == 2 )); then\n"
		       "        _describe -t commands 'azapply command' commands\n"
		       "        return\n"
		       "    fi\n"
		       "    local cmd=\"${words[2]}\"\n"
		       "    shift words\n"
		       "    (( CURRENT-- ))\n"
		       "    case \"$cmd\" in\n");
	for (size_t i = 0; az_commands[i]; i++) {
		const az_command *cmd = az_commands[i];
		az_buf_printf(b, "    %s)\n        _arguments -s", cmd->name);
		FOR_EACH_OPTION(cmd, o) {
			az_buf_puts(b, " \\\n            '");
			if (o->short_name)
				az_buf_printf(b, "(-%c --%s)'{-%c,--%s}'", o->short_name, o->name,
					      o->short_name, o->name);
			else
				az_buf_printf(b, "--%s", o->name);
			az_buf_putc(b, '[');
			zsh_text(b, o->help);
			az_buf_putc(b, ']');
			if (o->arg) {
				az_buf_putc(b, ':');
				zsh_text(b, o->arg);
				az_buf_putc(b, ':');
				if (o->choices) {
					az_buf_putc(b, '(');
					choices_words(b, o->choices);
					az_buf_putc(b, ')');
				} else if (takes_path(o)) {
					az_buf_puts(b, "_files");
				}
			}
			az_buf_putc(b, '\'');
		}
		switch (positional_of(cmd)) {
		case POS_DIR: az_buf_puts(b, " \\\n            '1:directory:_files -/'"); break;
		case POS_FILE: az_buf_puts(b, " \\\n            '1:directory or plan:_files'"); break;
		case POS_COMMAND:
			az_buf_puts(b, " \\\n            '1:command:(");
			words_of_commands(b);
			az_buf_puts(b, ")'");
			break;
		case POS_SHELL:
			az_buf_puts(b, " \\\n            '1:shell:(");
			choices_words(b, SHELLS);
			az_buf_puts(b, ")'");
			break;
		case POS_NONE: break;
		}
		az_buf_puts(b, "\n        ;;\n");
	}
	az_buf_puts(b, "    esac\n"
		       "}\n"
		       "if [[ \"$zsh_eval_context[-1]\" == loadautofunc ]]; then\n"
		       "    _azapply \"$@\"\n"
		       "else\n"
		       "    compdef _azapply azapply\n"
		       "fi\n");
}

/* ---------------------------------------------------------------------
 * fish
 */
static void fish_text(az_buf *b, const char *s)
{
	az_buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			az_buf_putc(b, '\\');
		az_buf_putc(b, *s);
	}
	az_buf_putc(b, '\'');
}

static void fish_option(az_buf *b, const char *condition, const az_option *o)
{
	az_buf_puts(b, "complete -c azapply");
	if (condition)
		az_buf_printf(b, " -n '%s'", condition);
	az_buf_printf(b, " -l %s", o->name);
	if (o->short_name)
		az_buf_printf(b, " -s %c", o->short_name);
	if (o->choices) {
		az_buf_puts(b, " -x -a ");
		az_buf buf = AZ_BUF_INIT;
		choices_words(&buf, o->choices);
		fish_text(b, buf.data);
		az_buf_free(&buf);
	} else if (takes_path(o)) {
		az_buf_puts(b, " -r -F");
	} else if (o->arg) {
		az_buf_puts(b, " -x");
	}
	az_buf_puts(b, " -d ");
	fish_text(b, o->help);
	az_buf_putc(b, '\n');
}

static void fish_script(az_buf *b)
{
	az_buf_puts(b, "# fish completion for azapply, written by `azapply completion fish` from its\n"
		       "# command table. Load it with: azapply completion fish | source\n"
		       "complete -c azapply -f\n");
	for (const az_option *o = az_global_options; o->name; o++)
		fish_option(b, NULL, o);
	for (size_t i = 0; az_commands[i]; i++) {
		az_buf_printf(b, "complete -c azapply -n __fish_use_subcommand -a %s -d ",
			      az_commands[i]->name);
		fish_text(b, az_commands[i]->summary);
		az_buf_putc(b, '\n');
	}
	for (size_t i = 0; az_commands[i]; i++) {
		const az_command *cmd = az_commands[i];
		char *cond = az_xasprintf("__fish_seen_subcommand_from %s", cmd->name);
		for (const az_option *o = cmd->options; o && o->name; o++)
			fish_option(b, cond, o);
		switch (positional_of(cmd)) {
		case POS_DIR:
			az_buf_printf(b, "complete -c azapply -n '%s' -a '(__fish_complete_directories)'\n",
				      cond);
			break;
		case POS_FILE: az_buf_printf(b, "complete -c azapply -n '%s' -F\n", cond); break;
		case POS_COMMAND:
			az_buf_printf(b, "complete -c azapply -n '%s' -a '", cond);
			words_of_commands(b);
			az_buf_puts(b, "'\n");
			break;
		case POS_SHELL:
			az_buf_printf(b, "complete -c azapply -n '%s' -a '", cond);
			choices_words(b, SHELLS);
			az_buf_puts(b, "'\n");
			break;
		case POS_NONE: break;
		}
		free(cond);
	}
}

static int completion_exec(const az_args *args)
{
	const char *shell = args->positional_len ? args->positional[0] : NULL;
	if (!shell)
		return az_usage_error(args->cmd, "name the shell: bash, zsh or fish");
	az_buf b = AZ_BUF_INIT;
	if (strcmp(shell, "bash") == 0) {
		bash_script(&b);
	} else if (strcmp(shell, "zsh") == 0) {
		zsh_script(&b);
	} else if (strcmp(shell, "fish") == 0) {
		fish_script(&b);
	} else {
		const char *hint = az_suggest(shell, SHELLS, 3);
		if (hint)
			return az_usage_error(args->cmd, "no completion for '%s'; did you mean '%s'?",
					      shell, hint);
		return az_usage_error(args->cmd, "no completion for '%s': bash, zsh or fish", shell);
	}
	fputs(b.data, stdout);
	az_buf_free(&b);
	return AZ_EXIT_OK;
}

const az_command cmd_completion = {
	.name = "completion",
	.summary = "Print a shell completion script (bash, zsh or fish)",
	.usage = "azapply completion bash|zsh|fish",
	.description =
		"Prints a completion script for the shell, written from azapply's own\n"
		"command table, so every command, option and choice this version has is\n"
		"completed. Load it in the current shell or at login:\n\n"
		"  bash: source <(azapply completion bash)     (in ~/.bashrc)\n"
		"  zsh:  source <(azapply completion zsh)      (in ~/.zshrc, after compinit)\n"
		"  fish: azapply completion fish | source      (or save it as\n"
		"        ~/.config/fish/completions/azapply.fish)",
	.options = (const az_option[]){{NULL, 0, NULL, NULL, NULL}},
	.max_positional = 1,
	.exec = completion_exec,
};
