import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/*
 * Layers point inward: domain <- application <- infrastructure, and the doors (interfaces) talk only to the
 * application. This test reads every import in src/ and fails on any that breaks the rules, so the
 * architecture cannot rot silently:
 * - domain/ imports only itself (and Node's pure modules);
 * - application/ imports the domain and itself, and no driver (ioredis, bullmq, pg, Prisma, Fastify);
 * - infrastructure/ implements the application's ports;
 * - interfaces/ (the doors: HTTP controllers, CLI commands, queue processors, background runners) import the
 *   domain and the application's use cases and settings, never a port (a door that calls a port skips its use
 *   case), never infrastructure, and never another door;
 * - the composition root (src/modules/, app.module.ts and the entry points) may import anything.
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
  interfaces: ['domain', 'application', 'interfaces'],
  root: ['domain', 'application', 'infrastructure', 'interfaces', 'root'],
};

/** Packages the domain may use: none but Node's own pure modules. */
const DOMAIN_PACKAGES = /^node:(crypto|util)$/;
/** Drivers and frameworks the application layer must reach only through ports. */
const DRIVERS = /^(ioredis|bullmq|pg|@prisma\/|prisma|fastify|@nestjs\/platform-fastify)/;
/** A door: what the outside world calls (HTTP, CLI, queue) or what runs by itself (background runners). */
const DOOR = /\.(http\.controller|cli\.command|processor|runner)\.ts$/;
const PORT = /\.port\.ts$/;

const files = filesUnder(SRC);

describe('layering', () => {
  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files.some((f) => layerOf(f) === 'domain')).toBe(true);
    expect(files.filter((f) => DOOR.test(f)).length).toBeGreaterThan(20);
  });

  it.each(files.map((f) => [path.relative(SRC, f), f]))('%s imports only inward', (_rel, file) => {
    expect(violationsOf(file, readFileSync(file, 'utf8'))).toEqual([]);
  });

  describe('catches each kind of violation planted in a file', () => {
    const domainFile = path.join(SRC, 'domain', 'sale', 'fake.ts');
    const appFile = path.join(SRC, 'application', 'sales', 'fake.ts');
    const httpDoor = path.join(SRC, 'interfaces', 'http', 'fake.http.controller.ts');
    const cliDoor = path.join(SRC, 'interfaces', 'admin', 'fake', 'fake.cli.command.ts');
    const doorHelper = path.join(SRC, 'interfaces', 'http', 'fake-helper.ts');
    const root = path.join(SRC, 'modules', 'fake.module.ts');
    it.each([
      ['the domain importing a driver', domainFile, "import { Redis } from 'ioredis';"],
      ['the domain importing Nest', domainFile, "import { Injectable } from '@nestjs/common';"],
      ['the domain importing the application', domainFile, "import { x } from '../../application/sales/sale-view';"],
      ['the application importing infrastructure', appFile, "import { x } from '../../infrastructure/redis/sale-keys';"],
      ['the application importing a driver', appFile, "import { PrismaClient } from '@prisma/client';"],
      ['the application importing a door', appFile, "import { x } from '../../interfaces/http/request-params';"],
      ['a door importing infrastructure', httpDoor, "import { AppConfig } from '../../infrastructure/config/app-config';"],
      ['a door importing a port', httpDoor, "import { OrderQueue } from '../../application/order-pipeline/order-queue.port';"],
      ['a door importing another door', httpDoor, "import { X } from '../queue/order-batches.processor';"],
      ['a CLI door importing an HTTP door', cliDoor, "import { X } from '../create-sale/create-sale.http.controller';"],
      ['a door helper importing infrastructure', doorHelper, "import { x } from '../../infrastructure/metrics/prometheus-metrics';"],
    ])('%s', (_name, file, source) => {
      expect(violationsOf(file, source)).toHaveLength(1);
    });

    it.each([
      ['the application importing the domain', appFile, "import { x } from '../../domain/sale/sale.entity';"],
      ['a door importing a use case', httpDoor, "import { X } from '../../application/checkout/checkout.use-case';"],
      ['a door importing settings', httpDoor, "import { X } from '../../application/sales/sale-settings';"],
      ['a door importing a door helper', cliDoor, "import { X } from '../admin-cli';"],
      ['the composition root importing anything', root, "import { X } from '../infrastructure/config/app-config';"],
    ])('allows %s', (_name, file, source) => {
      expect(violationsOf(file, source)).toEqual([]);
    });
  });
});

function violationsOf(file: string, source: string): string[] {
  const layer = layerOf(file);
  const violations: string[] = [];
  for (const spec of importsOf(source)) {
    if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec);
      const targetLayer = layerOf(target);
      if (!ALLOWED[layer].includes(targetLayer)) violations.push(`${spec} (${layer} -> ${targetLayer})`);
      else if (layer === 'interfaces' && PORT.test(`${target}.ts`)) violations.push(`${spec} (a door calls use cases, not ports)`);
      else if (DOOR.test(file) && DOOR.test(`${target}.ts`)) violations.push(`${spec} (door -> door)`);
    } else if (layer === 'domain' && !DOMAIN_PACKAGES.test(spec)) {
      violations.push(`${spec} (the domain uses no packages)`);
    } else if (layer === 'application' && DRIVERS.test(spec)) {
      violations.push(`${spec} (application code reaches drivers through ports)`);
    }
  }
  return violations;
}
