using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace FusedOps.Package.Tests;

/// <summary>
/// The native pieces `dotnet publish -p:PublishAot=true` needs on Linux, found or named as missing:
/// clang (as <c>clang</c>, or a versioned <c>clang-N</c> passed as CppCompilerAndLinker), the bfd
/// linker, objcopy for stripping symbols, and zlib's development library (NativeAOT links -lz).
/// </summary>
internal sealed partial record NativeToolchain(string? CompilerOverride, IReadOnlyList<string> Missing)
{
    private static readonly string[] LibraryDirectories =
    [
        "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/local/lib",
    ];

    /// <summary>The <c>dotnet publish</c> arguments this toolchain needs (none when <c>clang</c> is on PATH).</summary>
    public IEnumerable<string> PublishArguments =>
        CompilerOverride is null ? [] : [$"-p:CppCompilerAndLinker={CompilerOverride}"];

    /// <summary>Looks at PATH and the usual library folders.</summary>
    public static NativeToolchain Detect()
    {
        var missing = new List<string>();
        string? compilerOverride = null;
        if (FindOnPath("clang") is null)
        {
            // Debian's clang-14 package installs clang-14 only; the `clang` package adds the plain name.
            compilerOverride = FindVersioned("clang");
            if (compilerOverride is null)
            {
                missing.Add("a C compiler/linker driver: neither 'clang' nor any 'clang-<N>' is on PATH (Debian/Ubuntu package: clang)");
            }
        }

        if (FindOnPath("ld.bfd") is null && FindOnPath("ld") is null)
        {
            missing.Add("the linker 'ld' / 'ld.bfd' is not on PATH (Debian/Ubuntu package: binutils)");
        }

        if (FindOnPath("llvm-objcopy") is null && FindOnPath("objcopy") is null)
        {
            missing.Add("neither 'llvm-objcopy' nor 'objcopy' is on PATH, needed to strip symbols (Debian/Ubuntu package: binutils)");
        }

        if (!LibraryDirectories.Any(d => File.Exists(Path.Combine(d, "libz.so")) || File.Exists(Path.Combine(d, "libz.a"))))
        {
            missing.Add($"zlib's development library (libz.so or libz.a) is not in {string.Join(", ", LibraryDirectories)} (Debian/Ubuntu package: zlib1g-dev)");
        }

        return new NativeToolchain(compilerOverride, missing);
    }

    /// <summary>The full path of <paramref name="name"/> in a PATH directory, or null.</summary>
    public static string? FindOnPath(string name) =>
        PathDirectories().Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    // The highest clang-N on PATH, e.g. "clang-14".
    private static string? FindVersioned(string name) =>
        PathDirectories()
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, name + "-*"))
            .Select(Path.GetFileName)
            .Where(f => f is not null && VersionedName().IsMatch(f) && f.StartsWith(name + "-", StringComparison.Ordinal))
            .OrderByDescending(f => int.Parse(f![(name.Length + 1)..], CultureInfo.InvariantCulture))
            .FirstOrDefault();

    private static IEnumerable<string> PathDirectories() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex(@"^[a-z]+-[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionedName();
}
