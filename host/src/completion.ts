// pindai completion bash|zsh: a completion script made from the commands'
// own --help texts (their subcommands and options), so it never drifts from
// what the commands accept. Files complete as files.
import { CliError } from "../issuer/errors";
import type { Io } from "./cli";

export interface Words {
  subcommands: string[];
  options: string[];
}

/** Subcommands and options named in one command's help text. */
export function wordsOf(name: string, help: string): Words {
  const subcommands = new Set<string>();
  for (const line of help.split("\n")) {
    const m = new RegExp(`^pindai ${name} ([a-z][a-z0-9|-]*)`).exec(line.trim());
    if (m) for (const w of m[1].split("|")) if (/^[a-z][a-z0-9-]*$/.test(w)) subcommands.add(w);
  }
  const options = new Set(["--help"]);
  for (const m of help.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)) options.add(m[0]);
  return { subcommands: [...subcommands], options: [...options].sort() };
}

export async function completion(argv: string[], io: Io, commands: string[]): Promise<number> {
  const shell = argv[0];
  if (argv[0] === "--help" || argv[0] === "-h") {
    return io.help("pindai completion bash|zsh\n\nPrints a completion script: add `source <(pindai completion bash)` to ~/.bashrc,\nor `source <(pindai completion zsh)` to ~/.zshrc.");
  }
  if (shell !== "bash" && shell !== "zsh") throw new CliError(`expected bash or zsh${shell === undefined ? "" : `, not "${shell}"`}`);
  if (argv.length > 1) throw new CliError(`unexpected argument "${argv[1]}" (--help lists the options)`);
  const { main } = await import("./cli");
  const table: Record<string, Words> = {};
  for (const c of commands) {
    let text = "";
    const capture: Io = { out: (l) => (text += l + "\n"), err: () => {}, help: (t) => ((text += t + "\n"), 0) };
    await main([c, "--help"], capture);
    table[c] = wordsOf(c, text);
  }
  io.out(shell === "bash" ? bashScript(commands, table) : zshScript(commands, table));
  return 0;
}

function cases(table: Record<string, Words>, indent: string): string {
  return Object.entries(table)
    .map(([c, w]) => `${indent}${c}) words="${[...w.subcommands, ...w.options].join(" ")}" ;;`)
    .join("\n");
}

function bashScript(commands: string[], table: Record<string, Words>): string {
  return `# pindai completion for bash: source <(pindai completion bash)
_pindai() {
  local cur=\${COMP_WORDS[COMP_CWORD]} words
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${[...commands, "help", "completion", "--help", "--version"].join(" ")}" -- "$cur") )
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases(table, "    ")}
    help) words="${commands.join(" ")}" ;;
    completion) words="bash zsh" ;;
    *) words="" ;;
  esac
  if [[ "$cur" == -* || -n "$words" && "$COMP_CWORD" -eq 2 ]]; then
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -o filenames -F _pindai pindai
`;
}

function zshScript(commands: string[], table: Record<string, Words>): string {
  return `#compdef pindai
# pindai completion for zsh: source <(pindai completion zsh)
_pindai() {
  local words_for
  if (( CURRENT == 2 )); then
    compadd -- ${[...commands, "help", "completion", "--help", "--version"].join(" ")}
    return
  fi
  case "\${words[2]}" in
${cases(table, "    ").replace(/words="/g, 'words_for="')}
    help) words_for="${commands.join(" ")}" ;;
    completion) words_for="bash zsh" ;;
    *) words_for="" ;;
  esac
  if [[ "\${words[CURRENT]}" == -* ]] || (( CURRENT == 3 )) && [[ -n "$words_for" ]]; then
    compadd -- \${=words_for}
  else
    _files
  fi
}
compdef _pindai pindai
`;
}
