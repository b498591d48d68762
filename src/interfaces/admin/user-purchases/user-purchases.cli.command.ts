import { Command } from 'nest-commander';
import { UserPurchasesUseCase } from '../../../application/orders/user-purchases.use-case';
import { parseUserId } from '../../../domain/user/user-id.value-object';
import { USER_ID_EXPECTED } from '../../http/buyer';
import { CliCommand, CliFailure, CliOutput, saleIdArg, table } from '../admin-cli';

/** `user:purchases`: the CLI door of GET /admin/sales/:id/users/:userId/purchases. */
@Command({
  name: 'user:purchases',
  arguments: '<saleId> <userId>',
  description: "What a user bought in a sale: the ledger's count and the written orders",
})
export class UserPurchasesCliCommand extends CliCommand {
  constructor(private readonly userPurchases: UserPurchasesUseCase) {
    super();
  }

  protected async execute([id, user]: string[]): Promise<CliOutput> {
    const userId = parseUserId(user);
    if (!userId) throw new CliFailure(`the user id must be ${USER_ID_EXPECTED}`);
    const result = await this.userPurchases.execute(saleIdArg(id), userId);
    if (!result.ok) throw CliFailure.of(result.error);
    const r = result.value;
    const head = `user ${r.userId} in sale ${r.saleId}: ${r.unitsBought ?? '?'} of ${r.perUserLimit} bought, ${r.unitsPending} not yet written`;
    const rows = r.orders.map((o) => ({ order: o.orderId, items: o.itemIds.join(','), purchasedAt: o.purchasedAt }));
    return { data: r, text: `${head}\n${table(rows)}` };
  }
}
