import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/*
 * Layers point inward: domain <- application <- infrastructure / interfaces. This test reads every import
 * in src/ and fails on any that breaks the rule, so the architecture cannot rot silently.
 */

const SRC = path.resolve(__dirname, '..', '..', 'src');
const GENERATED = path.join(SRC, 'infrastructure', 'prisma', 'generated');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (full === GENERATED) return [];
    return statSync(full).isDirectory() ? filesUnder(full) : full.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

type Layer = 'domain' | 'application' | 'infrastructure' | 'interfaces' | 'root';
function layerOf(file: string): Layer {
  const top = path.relative(SRC, file).split(path.sep)[0];
  return top === 'domain' || top === 'application' || top === 'infrastructure' || top === 'interfaces' ? top : 'root';
}

/** Which layers a layer may import from. */
const ALLOWED: Record<Layer, Layer[]> = {
  domain: ['domain'],
  application: ['domain', 'application'],
  infrastructure: ['domain', 'application', 'infrastructure'],
  interfaces: ['domain', 'application', 'infrastructure', 'interfaces'],
  root: ['domain', 'application', 'infrastructure', 'interfaces', 'root'],
};

/** Packages the domain may use: none but Node's own pure modules. */
const DOMAIN_PACKAGES = /^node:(crypto|util)$/;
/** Drivers and frameworks the application layer must reach only through ports. */
const DRIVERS = /^(ioredis|bullmq|pg|@prisma\/|prisma|fastify|@nestjs\/platform-fastify)/;

const files = filesUnder(SRC);

describe('layering', () => {
  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files.some((f) => layerOf(f) === 'domain')).toBe(true);
  });

  it.each(files.map((f) => [path.relative(SRC, f), f]))('%s imports only inward', (_rel, file) => {
    expect(violationsOf(file, readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('catches each kind of violation', () => {
    const domainFile = path.join(SRC, 'domain', 'sale', 'fake.ts');
    const appFile = path.join(SRC, 'application', 'sales', 'fake.ts');
    expect(violationsOf(domainFile, "import { Redis } from 'ioredis';")).toHaveLength(1);
    expect(violationsOf(domainFile, "import { Injectable } from '@nestjs/common';")).toHaveLength(1);
    expect(violationsOf(domainFile, "import { x } from '../../application/sales/sale-view';")).toHaveLength(1);
    expect(violationsOf(appFile, "import { x } from '../../infrastructure/redis/sale-keys';")).toHaveLength(1);
    expect(violationsOf(appFile, "import { PrismaClient } from '@prisma/client';")).toHaveLength(1);
    expect(violationsOf(appFile, "import { x } from '../../domain/sale/sale.entity';")).toEqual([]);
  });
});

function violationsOf(file: string, source: string): string[] {
  const layer = layerOf(file);
  const violations: string[] = [];
  for (const spec of importsOf(source)) {
    if (spec.startsWith('.')) {
      const target = layerOf(path.resolve(path.dirname(file), spec));
      if (!ALLOWED[layer].includes(target)) violations.push(`${spec} (${layer} -> ${target})`);
    } else if (layer === 'domain' && !DOMAIN_PACKAGES.test(spec)) {
      violations.push(`${spec} (the domain uses no packages)`);
    } else if (layer === 'application' && DRIVERS.test(spec)) {
      violations.push(`${spec} (application code reaches drivers through ports)`);
    }
  }
  return violations;
}
