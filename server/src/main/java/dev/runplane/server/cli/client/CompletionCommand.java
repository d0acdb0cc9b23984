package dev.runplane.server.cli.client;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code runplane completion}: the shell completion script, from picocli's generator. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = "Print a completion script for bash and zsh (every command, flag and enum value).",
        footerHeading = "%nExamples:%n",
        footer = {"  source <(runplane completion)                       # this shell",
                "  runplane completion > ~/.local/share/bash-completion/completions/runplane",
                "  autoload -U +X bashcompinit && bashcompinit && source <(runplane completion)   # zsh"})
public final class CompletionCommand implements Runnable {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        CommandLine root = spec.root().commandLine();
        spec.commandLine().getOut().print(AutoComplete.bash(root.getCommandName(), root));
        spec.commandLine().getOut().flush();
    }
}
