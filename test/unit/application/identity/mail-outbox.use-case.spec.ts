import { MailOutboxUseCase } from '../../../../src/application/identity/mail-outbox.use-case';
import { Email } from '../../../../src/domain/identity/email.value-object';
import { RecordingMailer } from '../../../support/doubles/identity';

describe('MailOutboxUseCase', () => {
  it('lists the kept mail newest first, only to one address when asked', async () => {
    const mailer = new RecordingMailer('outbox');
    for (const [to, subject] of [
      ['a@x.io', 'one'],
      ['b@x.io', 'two'],
      ['a@x.io', 'three'],
    ]) {
      await mailer.send({ to: to as Email, subject: subject!, text: '' });
    }
    const outbox = new MailOutboxUseCase(mailer);

    expect((await outbox.execute(10)).map((m) => m.subject)).toEqual(['three', 'two', 'one']);
    expect((await outbox.execute(10, 'a@x.io')).map((m) => m.subject)).toEqual(['three', 'one']);
    expect((await outbox.execute(1)).map((m) => m.subject)).toEqual(['three']);
  });
});
