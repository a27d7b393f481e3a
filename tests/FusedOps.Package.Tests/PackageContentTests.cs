using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Threading.Tasks;
using System.Xml.Linq;
using Xunit;
using Xunit.Abstractions;

namespace FusedOps.Package.Tests;

/// <summary>What is inside the .nupkg and .snupkg, and that two builds of one commit give the same binaries.</summary>
[Collection(PackageCollection.Name)]
public sealed class PackageContentTests
{
    private static readonly string[] Binaries =
    [
        "lib/net8.0/FusedOps.dll",
        "lib/net10.0/FusedOps.dll",
        "analyzers/dotnet/cs/FusedOps.Generator.dll",
    ];

    private readonly PackageFixture _fixture;
    private readonly ITestOutputHelper _output;

    /// <summary>Receives the shared package.</summary>
    public PackageContentTests(PackageFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Fact]
    public async Task Package_HoldsRuntimeGeneratorReadmeSymbolsAndMetadata()
    {
        PackedPackage package = await _fixture.GetPackageAsync();
        _output.WriteLine($"pack: {package.Pack.Elapsed.TotalSeconds:F1} s");

        using (ZipArchive nupkg = ZipFile.OpenRead(package.PackagePath))
        {
            string[] entries = nupkg.Entries.Select(e => e.FullName).ToArray();
            _output.WriteLine(string.Join(Environment.NewLine, entries));
            foreach (string expected in Binaries.Append("README.md").Append("FusedOps.nuspec"))
            {
                Assert.True(entries.Contains(expected), $"{expected} is missing from the package; it holds: {string.Join(", ", entries)}");
            }

            // The generator runs in the compiler; it must not also land in the user's output as a library.
            Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.EndsWith("FusedOps.Generator.dll", StringComparison.Ordinal));
            Assert.Equal(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")), ReadText(nupkg, "README.md"));

            XElement nuspec = XDocument.Parse(ReadText(nupkg, "FusedOps.nuspec")).Root!;
            XNamespace ns = nuspec.Name.Namespace;
            XElement metadata = nuspec.Element(ns + "metadata")!;
            XDocument project = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "src", "FusedOps", "FusedOps.csproj"));
            XDocument buildProps = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "Directory.Build.props"));

            Assert.Equal("FusedOps", metadata.Element(ns + "id")?.Value);
            Assert.Equal(package.Version, metadata.Element(ns + "version")?.Value);
            Assert.Equal(Property(project, "Description"), metadata.Element(ns + "description")?.Value);
            Assert.Equal(
                Property(project, "PackageTags").Split(';', StringSplitOptions.RemoveEmptyEntries),
                (metadata.Element(ns + "tags")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries));
            XElement? license = metadata.Element(ns + "license");
            Assert.Equal("expression", license?.Attribute("type")?.Value);
            Assert.Equal("MIT", license?.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
            XElement? repository = metadata.Element(ns + "repository");
            Assert.Equal("git", repository?.Attribute("type")?.Value);
            Assert.Equal(Property(buildProps, "RepositoryUrl"), repository?.Attribute("url")?.Value);

            // Runtime and generator use only the BCL: one empty dependency group per target framework.
            XElement[] groups = metadata.Element(ns + "dependencies")?.Elements(ns + "group").ToArray() ?? [];
            Assert.Equal(["net10.0", "net8.0"], groups.Select(g => g.Attribute("targetFramework")?.Value).Order(StringComparer.Ordinal));
            Assert.All(groups, g => Assert.Empty(g.Elements()));
        }

        Assert.True(File.Exists(package.SymbolPackagePath), $"No symbol package at {package.SymbolPackagePath}.");
        using (ZipArchive snupkg = ZipFile.OpenRead(package.SymbolPackagePath))
        {
            string[] entries = snupkg.Entries.Select(e => e.FullName).ToArray();
            Assert.Contains("lib/net8.0/FusedOps.pdb", entries);
            Assert.Contains("lib/net10.0/FusedOps.pdb", entries);
        }
    }

    [Fact]
    public async Task TwoBuildsOfOneCommit_PackIdenticalRuntimeBinariesAndMetadata()
    {
        (PackedPackage first, PackedPackage second) = await _fixture.GetTwoPackagesOfOneCommitAsync();
        _output.WriteLine($"rebuild: {_fixture.SecondBuild?.Elapsed.TotalSeconds:F1} s, pack --no-build: {second.Pack.Elapsed.TotalSeconds:F1} s");
        Dictionary<string, byte[]> a = ReadAll(first.PackagePath), b = ReadAll(second.PackagePath);
        foreach (string runtime in new[] { "lib/net8.0/FusedOps.dll", "lib/net10.0/FusedOps.dll" })
        {
            Assert.True(a[runtime].AsSpan().SequenceEqual(b[runtime]), $"{runtime} differs between two builds of the same commit: the build is not deterministic.");
        }

        // Everything else must match too, except the generator (next test), NuGet's per-pack
        // core-properties part (random name) and the relationship file naming it. Zip entry
        // timestamps are not compared.
        static bool Compared(string name) =>
            !name.StartsWith("analyzers/", StringComparison.Ordinal) && !name.EndsWith(".psmdcp", StringComparison.Ordinal) && name != "_rels/.rels";
        Assert.Equal(a.Keys.Where(Compared).Order(StringComparer.Ordinal), b.Keys.Where(Compared).Order(StringComparer.Ordinal));
        foreach (string name in a.Keys.Where(Compared))
        {
            Assert.True(a[name].AsSpan().SequenceEqual(b[name]), $"{name} differs between two packs of the same commit.");
        }

        bool wholeFileIdentical = File.ReadAllBytes(first.PackagePath).AsSpan().SequenceEqual(File.ReadAllBytes(second.PackagePath));
        _output.WriteLine($"whole .nupkg byte-identical: {wholeFileIdentical} (zip timestamps and the .psmdcp name may differ)");
    }

    // src/FusedOps/ReadyToRun.targets: the host picks runtimes/linux-x64/lib/net10.0 on linux-x64, lib/net10.0 elsewhere.
    [Fact]
    public async Task Package_HoldsALinuxX64ReadyToRunImageOfTheSameAssembly()
    {
        Assert.True(ReadyToRunImage.MadeOnThisHost, $"The ReadyToRun image is built on linux-x64 hosts only; this machine is {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}.");
        PackedPackage package = await _fixture.GetPackageAsync();
        Dictionary<string, byte[]> entries = ReadAll(package.PackagePath);
        const string il = "lib/net10.0/FusedOps.dll", image = "runtimes/linux-x64/lib/net10.0/FusedOps.dll";
        Assert.True(entries.ContainsKey(image), $"{image} is missing from the package; it holds: {string.Join(", ", entries.Keys)}");
        Assert.DoesNotContain(entries.Keys, e => e.StartsWith("runtimes/", StringComparison.Ordinal) && e != image);

        ReadyToRunImage plain = ReadyToRunImage.Read(entries[il]), precompiled = ReadyToRunImage.Read(entries[image]);
        Assert.False(plain.HasNativeCode, $"{il} must stay IL only (it serves every other platform).");
        Assert.True(precompiled.HasNativeCode, $"{image} has no ReadyToRun header: crossgen2 did not run on it.");
        Assert.Equal(ReadyToRunImage.LinuxX64Machine, precompiled.Machine);
        Assert.Equal(plain.Mvid, precompiled.Mvid); // the same compilation: one IL, with and without native code
        _output.WriteLine($"{il}: {entries[il].Length:N0} bytes; {image}: {entries[image].Length:N0} bytes");
    }

    // PolySharp adds its polyfill types in an order that changes from run to run unless the set is
    // limited (PolySharpIncludeGeneratedTypes in the generator's csproj); this test keeps it limited.
    [Fact]
    public async Task TwoBuildsOfOneCommit_PackAnIdenticalGenerator()
    {
        (PackedPackage first, PackedPackage second) = await _fixture.GetTwoPackagesOfOneCommitAsync();
        const string generator = "analyzers/dotnet/cs/FusedOps.Generator.dll";
        Assert.True(
            ReadAll(first.PackagePath)[generator].AsSpan().SequenceEqual(ReadAll(second.PackagePath)[generator]),
            $"{generator} differs between two builds of the same commit: the build is not deterministic.");
    }

    private static string Property(XDocument project, string name) =>
        project.Descendants(name).FirstOrDefault()?.Value ?? throw new InvalidOperationException($"No <{name}> in the project file.");

    private static string ReadText(ZipArchive archive, string entry)
    {
        using var reader = new StreamReader(archive.GetEntry(entry)!.Open());
        return reader.ReadToEnd();
    }

    private static Dictionary<string, byte[]> ReadAll(string zipPath)
    {
        using ZipArchive archive = ZipFile.OpenRead(zipPath);
        var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (ZipArchiveEntry entry in archive.Entries)
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            contents[entry.FullName] = copy.ToArray();
        }

        return contents;
    }
}
