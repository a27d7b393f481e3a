using System.IO;

namespace FusedOps.Package.Tests;

/// <summary>A project as `dotnet new console` makes it, outside the repository, referencing only the packed FusedOps.</summary>
internal static class ConsumerProject
{
    /// <summary>
    /// Writes the project into <paramref name="directory"/> with copies of <paramref name="sources"/>.
    /// Stub Directory.*.props/targets stop MSBuild and NuGet from looking further up; the local feed is
    /// the only package source and packages restore into <paramref name="packagesDirectory"/>.
    /// </summary>
    public static void Write(string directory, PackedPackage package, string packagesDirectory, params string[] sources)
    {
        Directory.CreateDirectory(directory);
        foreach (string source in sources)
        {
            File.Copy(source, Path.Combine(directory, Path.GetFileName(source)));
        }

        WriteProject(directory, package, packagesDirectory);
    }

    /// <summary>As <see cref="Write"/>, with one Program.cs holding <paramref name="programText"/>.</summary>
    public static void WriteWithProgram(string directory, PackedPackage package, string packagesDirectory, string programText)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), programText);
        WriteProject(directory, package, packagesDirectory);
    }

    private static void WriteProject(string directory, PackedPackage package, string packagesDirectory)
    {
        foreach (string stub in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            File.WriteAllText(Path.Combine(directory, stub), "<Project />\n");
        }

        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{package.FeedDirectory}" />
              </packageSources>
              <fallbackPackageFolders>
                <clear />
              </fallbackPackageFolders>
            </configuration>

            """);

        File.WriteAllText(Path.Combine(directory, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <RestorePackagesPath>{packagesDirectory}</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="FusedOps" Version="{package.Version}" />
              </ItemGroup>
            </Project>

            """);
    }
}
