using System;
using System.IO;

namespace FusedOps.Package.Tests;

/// <summary>Paths of the repository under test and of the scratch space outside it.</summary>
internal static class TestPaths
{
    /// <summary>The directory holding FusedOps.sln, found by walking up from the test assembly.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>True when <paramref name="path"/> is <paramref name="directory"/> or lies below it.</summary>
    public static bool IsUnder(string path, string directory)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) + Path.DirectorySeparatorChar;
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
        return full.StartsWith(root, StringComparison.Ordinal);
    }

    /// <summary>A new, empty directory under the system temp folder.</summary>
    public static string CreateTempDirectory(string prefix)
    {
        string path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FusedOps.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No FusedOps.sln in '{AppContext.BaseDirectory}' or any directory above it.");
    }
}
