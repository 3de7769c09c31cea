package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// elfHeader returns a 64-bit little-endian ELF header with no program or
// section headers, which debug/elf reads as a file of that type and
// machine. The tests use it as a stand-in for the bootstrap binary.
func elfHeader(class elf.Class, typ elf.Type, machine elf.Machine) []byte {
	header := elf.Header64{
		Type:    uint16(typ),
		Machine: uint16(machine),
		Version: uint32(elf.EV_CURRENT),
		Ehsize:  64,
	}
	copy(header.Ident[:], elf.ELFMAG)
	header.Ident[elf.EI_CLASS] = byte(class)
	header.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	header.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, header); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// standInBootstrap is an ELF header that checkBootstrap accepts.
var standInBootstrap = elfHeader(elf.ELFCLASS64, elf.ET_EXEC, lambdaMachine)

func TestCheckBootstrap(t *testing.T) {
	cases := []struct {
		name    string
		content []byte
		wantErr string
	}{
		{"arm64 executable", standInBootstrap, ""},
		{"arm64 position independent", elfHeader(elf.ELFCLASS64, elf.ET_DYN, elf.EM_AARCH64), ""},
		{"empty file", nil, "not an ELF executable"},
		{"shell script", []byte("#!/bin/sh\nexit 1\n"), "not an ELF executable"},
		{"x86-64 executable", elfHeader(elf.ELFCLASS64, elf.ET_EXEC, elf.EM_X86_64), "EM_X86_64"},
		{"arm64 object file", elfHeader(elf.ELFCLASS64, elf.ET_REL, elf.EM_AARCH64), "ET_REL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bootstrap")
			if err := os.WriteFile(path, tc.content, 0o755); err != nil {
				t.Fatal(err)
			}
			err := checkBootstrap(path)
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("checkBootstrap: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("checkBootstrap returned nil, want an error containing %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("checkBootstrap error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestStackRejectsWrongBootstrap(t *testing.T) {
	for name, content := range map[string][]byte{
		"empty":  nil,
		"x86-64": elfHeader(elf.ELFCLASS64, elf.ET_EXEC, elf.EM_X86_64),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, lambdaArch), 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, lambdaArch, "bootstrap")
			if err := os.WriteFile(path, content, 0o755); err != nil {
				t.Fatal(err)
			}
			cfg := fullConfig()
			cfg.AssetDir = dir

			app := awscdk.NewApp(&awscdk.AppProps{AnalyticsReporting: jsii.Bool(false), StackTraces: jsii.Bool(false)})
			_, err := NewStack(app, "Repolink", &awscdk.StackProps{
				Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-west-2")},
			}, cfg)
			if err == nil {
				t.Fatal("NewStack returned nil, want an error for the bootstrap")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("NewStack error %q does not name %s", err, path)
			}
		})
	}
}
