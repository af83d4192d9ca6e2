using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace OfficeRnD.Auth.Tests
{
    public static class PackageTests
    {
        private static string Nupkg()
        {
            var path = Environment.GetEnvironmentVariable("OFFICERND_DOTNET_NUPKG");
            if (string.IsNullOrEmpty(path) || !File.Exists(path))
                throw new Exception("OFFICERND_DOTNET_NUPKG does not name the built package (make pack-dotnet): " + path);
            return path;
        }

        [Test]
        public static void NupkgHasTheLinuxX64Layout()
        {
            using (var zip = new ZipArchive(File.OpenRead(Nupkg()), ZipArchiveMode.Read))
            {
                var names = zip.Entries.Select(e => e.FullName).OrderBy(n => n, StringComparer.Ordinal).ToList();
                var expected = new[]
                {
                    "LICENSE.txt", "OfficeRnD.Auth.nuspec", "README.md", "[Content_Types].xml",
                    "lib/netstandard2.0/OfficeRnD.Auth.dll", "lib/netstandard2.0/OfficeRnD.Auth.xml",
                    "runtimes/linux-x64/native/libofficernd_auth.so",
                };
                foreach (var n in expected) Assert.True(names.Contains(n), "the package holds " + n + ": " + string.Join(", ", names));
                Assert.Equal(expected.Length, names.Count(n => !n.EndsWith("/")), "nothing else: " + string.Join(", ", names));

                var nuspec = Read(zip, "OfficeRnD.Auth.nuspec");
                Assert.True(nuspec.Contains("<id>OfficeRnD.Auth</id>"), "nuspec id");
                Assert.True(nuspec.Contains("<version>" + TokenClient.NativeVersion + "</version>"), "nuspec version = library version");
                Assert.True(nuspec.Contains("targetFramework=\".NETStandard2.0\""), "netstandard2.0 group");
                Assert.True(nuspec.Contains("<readme>README.md</readme>"), "readme");
                Assert.True(!nuspec.Contains("<files>"), "no <files> list in the packed nuspec");

                var so = Bytes(zip, "runtimes/linux-x64/native/libofficernd_auth.so");
                Assert.True(so.Length > 4 && so[0] == 0x7f && so[1] == (byte)'E' && so[2] == (byte)'L' && so[3] == (byte)'F', "an ELF library");
                var dll = Bytes(zip, "lib/netstandard2.0/OfficeRnD.Auth.dll");
                var loaded = typeof(TokenClient).Assembly.Location;
                Assert.True(dll.SequenceEqual(File.ReadAllBytes(loaded)), "the assembly under test is the packed one");
            }
        }

        private static byte[] Bytes(ZipArchive zip, string name)
        {
            using (var s = zip.GetEntry(name).Open())
            using (var m = new MemoryStream())
            {
                s.CopyTo(m);
                return m.ToArray();
            }
        }

        private static string Read(ZipArchive zip, string name) { return Encoding.UTF8.GetString(Bytes(zip, name)); }
    }
}
