using System;
using System.IO;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;

namespace FusedOps.Package.Tests;

/// <summary>What a FusedOps.dll is: IL only, or a ReadyToRun image (precompiled code next to the IL), and for which machine.</summary>
internal readonly record struct ReadyToRunImage(bool HasNativeCode, ushort Machine, Guid Mvid)
{
    /// <summary>The PE machine field crossgen2 writes for linux-x64: AMD64 (0x8664) xor the Linux marker (0x7B79).</summary>
    public const ushort LinuxX64Machine = 0x8664 ^ 0x7B79;

    /// <summary>True where the build makes the image (src/FusedOps/ReadyToRun.targets: a linux-x64 host).</summary>
    public static bool MadeOnThisHost => OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64;

    public static ReadyToRunImage Read(byte[] assembly)
    {
        using var pe = new PEReader(new MemoryStream(assembly));
        CorHeader cor = pe.PEHeaders.CorHeader ?? throw new InvalidOperationException("Not a managed assembly (no CLI header).");
        MetadataReader metadata = pe.GetMetadataReader();
        return new ReadyToRunImage(
            cor.ManagedNativeHeaderDirectory.Size > 0,
            (ushort)pe.PEHeaders.CoffHeader.Machine,
            metadata.GetGuid(metadata.GetModuleDefinition().Mvid));
    }
}
