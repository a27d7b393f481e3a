using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace FusedOps.Package.Tests;

/// <summary>A FusedOps package packed from this repository into a local feed folder.</summary>
/// <param name="FeedDirectory">The folder used as the only package source.</param>
/// <param name="Version">The package's unique prerelease version.</param>
/// <param name="PackagePath">The .nupkg.</param>
/// <param name="SymbolPackagePath">The .snupkg.</param>
/// <param name="Pack">The <c>dotnet pack</c> run that made them.</param>
internal sealed record PackedPackage(string FeedDirectory, string Version, string PackagePath, string SymbolPackagePath, CommandResult Pack);

/// <summary>
/// Shared by the package tests: a scratch directory outside the repository, and one pack of
/// src/FusedOps made on first use (the first test to ask pays for it).
/// </summary>
public sealed class PackageFixture : IDisposable
{
    private readonly Lazy<Task<PackedPackage>> _package;
    private readonly Lazy<Task<(PackedPackage, PackedPackage)>> _twoPackages;

    /// <summary>Creates the scratch directory; packs nothing yet.</summary>
    public PackageFixture()
    {
        TempRoot = TestPaths.CreateTempDirectory("fusedops-package-tests");
        Version = "0.0.0-ci." + DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture);
        _package = new Lazy<Task<PackedPackage>>(() => PackAsync(Path.Combine(TempRoot, "feed"), Version), LazyThreadSafetyMode.ExecutionAndPublication);
        _twoPackages = new Lazy<Task<(PackedPackage, PackedPackage)>>(PackAgainAsync, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Scratch space for every test; removed when the collection ends.</summary>
    public string TempRoot { get; }

    /// <summary>The version the shared package gets, unique per run so no cache can serve an older build.</summary>
    public string Version { get; }

    internal Task<PackedPackage> GetPackageAsync() => _package.Value;

    /// <summary>
    /// The shared package, and a second one of the same commit and version from a full second compile
    /// (Rebuild: runtime and generator from scratch), packed into another folder.
    /// </summary>
    internal Task<(PackedPackage First, PackedPackage Second)> GetTwoPackagesOfOneCommitAsync() => _twoPackages.Value;

    /// <summary>The second compile behind <see cref="GetTwoPackagesOfOneCommitAsync"/>, once it ran.</summary>
    internal CommandResult? SecondBuild { get; private set; }

    private async Task<(PackedPackage, PackedPackage)> PackAgainAsync()
    {
        PackedPackage first = await GetPackageAsync().ConfigureAwait(false);
        string project = Path.Combine(TestPaths.RepoRoot, "src", "FusedOps", "FusedOps.csproj");
        CommandResult rebuild = await ProcessRunner.DotNetAsync(
            TestPaths.RepoRoot, ProcessRunner.DefaultTimeout,
            "build", project, "-c", "Release", "--no-incremental", $"-p:Version={first.Version}", "-p:ContinuousIntegrationBuild=true").ConfigureAwait(false);
        SecondBuild = rebuild;
        if (!rebuild.Succeeded)
        {
            throw new InvalidOperationException(rebuild.Describe("The second build of the same commit failed:"));
        }

        PackedPackage second = await PackAsync(Path.Combine(TempRoot, "feed-again"), first.Version, noBuild: true).ConfigureAwait(false);
        return (first, second);
    }

    /// <summary>
    /// Packs src/FusedOps in Release with <paramref name="version"/> into <paramref name="feedDirectory"/>,
    /// as CI would (ContinuousIntegrationBuild: source paths mapped, deterministic). Throws with the
    /// command's output if the pack fails.
    /// </summary>
    internal static async Task<PackedPackage> PackAsync(string feedDirectory, string version, bool noBuild = false)
    {
        Directory.CreateDirectory(feedDirectory);
        string project = Path.Combine(TestPaths.RepoRoot, "src", "FusedOps", "FusedOps.csproj");
        string[] arguments =
        [
            "pack", project, "-c", "Release", "-o", feedDirectory,
            $"-p:Version={version}", "-p:ContinuousIntegrationBuild=true",
            .. noBuild ? new[] { "--no-build" } : ["-warnaserror"],
        ];
        CommandResult pack = await ProcessRunner.DotNetAsync(TestPaths.RepoRoot, ProcessRunner.DefaultTimeout, arguments).ConfigureAwait(false);
        string nupkg = Path.Combine(feedDirectory, $"FusedOps.{version}.nupkg");
        string snupkg = Path.Combine(feedDirectory, $"FusedOps.{version}.snupkg");
        if (!pack.Succeeded || !File.Exists(nupkg))
        {
            throw new InvalidOperationException(pack.Describe($"dotnet pack did not produce {nupkg}:"));
        }

        return new PackedPackage(feedDirectory, version, nupkg, snupkg, pack);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // FUSEDOPS_KEEP_TEST_FILES=1 keeps the feed, the consumer project and the native binary for a look.
        if (Environment.GetEnvironmentVariable("FUSEDOPS_KEEP_TEST_FILES") == "1")
        {
            Trace.WriteLine($"Package test files kept in {TempRoot}");
            return;
        }

        try
        {
            Directory.Delete(TempRoot, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still in use leaves a folder in /tmp, not a failed run.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
