using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace FusedOps.Package.Tests;

/// <summary>Runs external commands with a time limit, a clean environment and captured output.</summary>
internal static class ProcessRunner
{
    /// <summary>The default limit for one command.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    // Captured before anything else: the dotnet host running these tests, when the test platform says.
    private static readonly string DotNetHost = FindDotNetHost();

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/>.</summary>
    public static Task<CommandResult> DotNetAsync(string workingDirectory, TimeSpan timeout, params string[] arguments) =>
        RunAsync(DotNetHost, arguments, workingDirectory, timeout);

    /// <summary>
    /// Runs <paramref name="fileName"/>; kills its whole process tree if it outlives <paramref name="timeout"/>.
    /// Never throws for a failing command: the result says how it ended.
    /// </summary>
    public static async Task<CommandResult> RunAsync(string fileName, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        PrepareEnvironment(startInfo.Environment);

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = startInfo };
        process.Start();
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();

        bool timedOut = false;
        using (var limit = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited between the timeout and the kill.
                }

                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
        }

        clock.Stop();

        // A grandchild that outlives the command (a build server) can hold the pipes open: do not wait
        // for end-of-stream forever once the command itself has exited.
        Task streams = Task.WhenAll(stdout, stderr);
        await Task.WhenAny(streams, Task.Delay(TimeSpan.FromSeconds(15))).ConfigureAwait(false);

        return new CommandResult(
            fileName,
            arguments.ToArray(),
            workingDirectory,
            timedOut ? -1 : process.ExitCode,
            stdout.IsCompletedSuccessfully ? stdout.Result : "(stdout still open)",
            stderr.IsCompletedSuccessfully ? stderr.Result : "(stderr still open)",
            clock.Elapsed,
            timedOut);
    }

    private static void PrepareEnvironment(IDictionary<string, string?> environment)
    {
        // `dotnet test` runs tests with MSBuild's and the test platform's variables set; a nested
        // `dotnet build` must not inherit them (they point MSBuild at the outer build's state).
        foreach (string key in environment.Keys.ToArray())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase)
                || key.Equals("DOTNET_HOST_PATH", StringComparison.OrdinalIgnoreCase))
            {
                environment.Remove(key);
            }
        }

        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        // No MSBuild worker nodes left behind holding files and pipes after each command.
        environment["MSBUILDDISABLENODEREUSE"] = "1";
        environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
    }

    private static string FindDotNetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        return "dotnet";
    }
}
