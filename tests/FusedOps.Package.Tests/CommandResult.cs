using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using static System.FormattableString;

namespace FusedOps.Package.Tests;

/// <summary>What one external command did: its exit code, its output and how long it took.</summary>
internal sealed record CommandResult(
    string FileName,
    IReadOnlyList<string> Arguments,
    string WorkingDirectory,
    int ExitCode,
    string StandardOutput,
    string StandardError,
    TimeSpan Elapsed,
    bool TimedOut)
{
    // Build logs run long; the end holds the errors, and xunit messages stay readable.
    private const int MaxCharsPerStream = 24_000;

    /// <summary>Exited in time with code 0.</summary>
    public bool Succeeded => !TimedOut && ExitCode == 0;

    /// <summary>Standard output and error together, for searching.</summary>
    public string AllOutput => StandardOutput + Environment.NewLine + StandardError;

    /// <summary>The command line as a user would type it.</summary>
    public string CommandLine =>
        string.Join(' ', new[] { FileName }.Concat(Arguments).Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));

    /// <summary>A failure report: the command, where it ran, how it ended, and its captured output.</summary>
    public string Describe(string? what = null)
    {
        var text = new StringBuilder();
        if (what is not null)
        {
            text.AppendLine(what);
        }

        text.AppendLine(Invariant($"$ {CommandLine}"));
        text.AppendLine(Invariant($"  in {WorkingDirectory}"));
        text.AppendLine(TimedOut
            ? Invariant($"  timed out after {Elapsed.TotalSeconds:F1} s and was killed")
            : Invariant($"  exited with code {ExitCode} after {Elapsed.TotalSeconds:F1} s"));
        text.AppendLine("--- stdout ---").AppendLine(Tail(StandardOutput));
        text.AppendLine("--- stderr ---").AppendLine(Tail(StandardError));
        return text.ToString();
    }

    private static string Tail(string text) =>
        text.Length <= MaxCharsPerStream
            ? text
            : Invariant($"[... {text.Length - MaxCharsPerStream} earlier characters cut ...]{Environment.NewLine}") + text[^MaxCharsPerStream..];
}
