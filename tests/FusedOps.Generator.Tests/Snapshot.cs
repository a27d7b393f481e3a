using System;
using System.IO;
using System.Runtime.CompilerServices;
using ApprovalTests;
using ApprovalTests.Core;
using ApprovalTests.Reporters;

// A mismatch fails the test and leaves *.received.cs beside the approved file; nothing is launched.
[assembly: UseReporter(typeof(QuietReporter))]

namespace FusedOps.Generator.Tests;

/// <summary>
/// Approves text against <c>{Class}.{Method}.approved.cs</c> next to the calling test file. To accept a
/// change, review the diff, then move the <c>.received.cs</c> over the <c>.approved.cs</c>.
/// </summary>
internal static class Snapshot
{
    private const string ProjectName = "FusedOps.Generator.Tests";

    public static void Verify(string text, string className, [CallerMemberName] string methodName = "", [CallerFilePath] string sourceFile = "")
    {
        var namer = new Namer(SourceDirectory(sourceFile), $"{className}.{methodName}");
        Approvals.Verify(new ApprovalTextWriter(text, "cs"), namer, QuietReporter.INSTANCE);
    }

    /// <summary>
    /// The directory of the calling test file. Deterministic CI builds map source paths to <c>/_/…</c>,
    /// so when the compiled path does not exist, the test project is found from the test binaries and
    /// the path is re-rooted there.
    /// </summary>
    private static string SourceDirectory(string sourceFile)
    {
        string? directory = Path.GetDirectoryName(sourceFile);
        if (directory is not null && Directory.Exists(directory))
        {
            return directory;
        }

        string normalized = sourceFile.Replace('\\', '/');
        string marker = "/" + ProjectName + "/";
        int at = normalized.LastIndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidOperationException($"Cannot place snapshots for '{sourceFile}': it is not under {ProjectName}.");
        }

        string relative = Path.GetDirectoryName(normalized[(at + marker.Length)..]) ?? string.Empty;
        return Path.Combine(ProjectDirectory(), relative);
    }

    private static string ProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, ProjectName + ".csproj")))
            {
                return dir.FullName;
            }

            string nested = Path.Combine(dir.FullName, "tests", ProjectName);
            if (File.Exists(Path.Combine(nested, ProjectName + ".csproj")))
            {
                return nested;
            }
        }

        throw new InvalidOperationException($"Cannot find {ProjectName}.csproj above {AppContext.BaseDirectory}.");
    }

    private sealed class Namer(string sourcePath, string name) : IApprovalNamer
    {
        public string SourcePath { get; } = sourcePath;

        public string Name { get; } = name;
    }
}
