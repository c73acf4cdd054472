/**
 * Variables that change which program a command name means, what a program loads, or what a shell or
 * a tool runs on its own. Under an allow list, a line, a wrapper (`env NAME=...`) or `start_task`'s
 * `env` argument may set them only if the policy names them (`allow_env`): an allowed `pytest` with
 * `PATH=/tmp/evil` is not the allowed pytest.
 */
const SENSITIVE: readonly RegExp[] = [
  // what a command name means, and how words split
  /^(PATH|IFS|CDPATH|ENV|BASH_ENV|SHELLOPTS|BASHOPTS|GLOBIGNORE|PS4|PROMPT_COMMAND|HOME)$/,
  // what the dynamic loader loads
  /^(LD_\w+|DYLD_\w+|GCONV_PATH|LOCPATH|MALLOC_\w+|GLIBC_TUNABLES)$/,
  // code that interpreters load or run before the program
  /^(NODE_OPTIONS|NODE_PATH|PYTHONPATH|PYTHONSTARTUP|PYTHONHOME|PYTHONINSPECT|PERL5OPT|PERL5LIB|PERLLIB|RUBYOPT|RUBYLIB|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS)$/,
  // commands that tools run for themselves
  /^(GIT_\w+|PAGER|MANPAGER|EDITOR|VISUAL|BROWSER|SSH_ASKPASS|SUDO_ASKPASS|LESSOPEN|LESSCLOSE)$/,
  // a name computed at run time (read $name, export "$x"=...) could be any of the above
  /^<computed>$/,
];

export function isSensitiveVariable(name: string): boolean {
  return SENSITIVE.some((pattern) => pattern.test(name));
}
